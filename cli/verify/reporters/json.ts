import type { VerifyResult } from '../finding.js';

/** `--format json`: exactly one document, the shape of SPEC §4 (schemas/verify-report.schema.json). */
export function renderJson(result: VerifyResult): string {
  const document = {
    root: result.root,
    findings: result.findings.map(({ rule, severity, file, line, column, message, fix }) => ({
      rule,
      severity,
      file,
      line,
      column,
      message,
      ...(fix ? { fix } : {}),
    })),
    summary: result.summary,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
