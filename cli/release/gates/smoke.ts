/**
 * The smoke gate: `trt smoke`'s scenarios against --url (with --passive-url, --allow-mutations
 * and --spawn passed through). It passes when no scenario failed; a skipped scenario is named in
 * the evidence but does not fail it, as in `trt smoke`.
 */
import { planSmoke, runSmoke } from '../../smoke/runner.js';
import { metric, type GateVerdict } from '../model.js';
import type { Gate } from './gate.js';

export const smokeGate: Gate = {
  name: 'smoke',
  title: 'live scenarios (trt smoke)',
  async plan({ settings }) {
    if (settings.smoke === null) return { does: 'trt smoke against --url', targets: ['failed scenarios = 0'], problems: ['--url is not given: smoke needs the live service (the ACTIVE instance) to check (or --skip smoke)'] };
    const scenarios = planSmoke(settings.smoke);
    const running = scenarios.filter((scenario) => scenario.runs).map((scenario) => scenario.id);
    const skipping = scenarios.filter((scenario) => !scenario.runs).map((scenario) => scenario.id);
    return {
      does: `trt smoke against ${settings.smoke.url}${settings.smoke.passiveUrl ? ` (passive ${settings.smoke.passiveUrl})` : ''}: ${running.join(', ') || 'no scenario'}${skipping.length > 0 ? ` (would skip ${skipping.join(', ')})` : ''}`,
      targets: ['failed scenarios = 0'],
      problems: [],
    };
  },
  async run({ settings, note }): Promise<GateVerdict> {
    const report = await runSmoke(settings.smoke!, { onEnd: (result) => note(`${result.id} ${result.status}`) });
    const { passed, failed, skipped } = report.summary;
    const failures = report.scenarios.filter((scenario) => scenario.status === 'fail');
    return {
      status: failed === 0 ? 'pass' : 'fail',
      reason: failed === 0 ? `${passed} passed, ${skipped} skipped against ${report.url}` : `${failures.map((scenario) => `${scenario.id}: ${scenario.reason}`).join('; ')}`,
      metrics: [metric('failed scenarios', failed, '= 0', failed > 0)],
      evidence: {
        url: report.url,
        passiveUrl: report.passiveUrl,
        summary: report.summary,
        scenarios: report.scenarios.map((scenario) => ({ id: scenario.id, status: scenario.status, reason: scenario.reason, durationMs: scenario.durationMs })),
        failures: failures.map((scenario) => ({ id: scenario.id, evidence: scenario.evidence })),
      },
    };
  },
};
