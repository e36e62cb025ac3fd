import type { SmokeReport } from '../scenario.js';

/**
 * `--format json`: exactly one document, the shape of SPEC §5 (schemas/smoke-report.schema.json).
 * Fields are copied one by one so that whatever else a result object carries never leaks into a
 * schema whose objects are closed.
 */
export function renderJson(report: SmokeReport): string {
  const document = {
    url: report.url,
    passiveUrl: report.passiveUrl,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    scenarios: report.scenarios.map(({ id, title, status, reason, durationMs, evidence }) => ({
      id,
      title,
      status,
      reason,
      durationMs,
      evidence,
    })),
    summary: {
      passed: report.summary.passed,
      failed: report.summary.failed,
      skipped: report.summary.skipped,
    },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
