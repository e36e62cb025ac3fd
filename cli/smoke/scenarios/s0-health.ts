/** S0: GET /health is 200 within the SLA and every field matches the health schema, numbers as numbers. */
import { cut, round } from '../context.js';
import { healthProblems } from '../health-problems.js';
import { fail, pass, type Scenario } from '../scenario.js';

export const s0Health: Scenario = {
  id: 'S0',
  title: 'health',
  needs: [],
  plan: () => [{ method: 'GET', target: 'url', path: '/health', times: 1, note: 'read only' }],
  async run(context) {
    const slaMs = context.settings.thresholds.S0.slaMs;
    const response = await context.request('url', { method: 'GET', path: '/health' });
    const evidence = { status: response.status, latency_ms: round(response.ms), sla_ms: slaMs };
    if (response.status !== 200) return fail(`GET /health answered ${response.status}, expected 200`, { ...evidence, body: cut(response.text) });
    if (response.json === undefined) return fail('GET /health did not answer JSON', { ...evidence, body: cut(response.text) });
    const problems = healthProblems(context.healthValidator(), response.json);
    if (problems.length > 0) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
      return fail(`${problems[0]}${more}`, { ...evidence, problems, body: cut(response.text, 2000) });
    }
    const body = response.json as { status?: unknown; lock_state?: unknown };
    if (body.status === 'error') return fail('/health reports status "error": the service says it cannot serve', { ...evidence, body: response.json });
    if (response.ms > slaMs) return fail(`GET /health took ${round(response.ms)} ms, over the ${slaMs} ms SLA`, { ...evidence, body: response.json });
    return pass(`200 in ${round(response.ms)} ms (SLA ${slaMs} ms), schema valid, status ${String(body.status)}, ${String(body.lock_state)}`, { ...evidence, body: response.json });
  },
};
