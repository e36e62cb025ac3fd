import type { VerifyResult } from '../finding.js';

/**
 * `--format github`: GitHub Actions workflow commands, one annotation per finding, shown on the
 * pull request diff. Data and properties are escaped as the runner expects.
 */
export function renderGithub(result: VerifyResult): string {
  const lines = result.findings.map((finding) => {
    const level = finding.severity === 'error' ? 'error' : 'warning';
    const properties = `file=${escapeProperty(finding.file)},line=${finding.line},col=${finding.column},title=${escapeProperty(`trt ${finding.rule}`)}`;
    const text = finding.fix ? `${finding.message}\nFix: ${finding.fix}` : finding.message;
    return `::${level} ${properties}::${escapeData(text)}`;
  });
  const { errors, warnings, files } = result.summary;
  lines.push(`trt verify: ${errors} error(s), ${warnings} warning(s) in ${files} files`);
  return `${lines.join('\n')}\n`;
}

function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
