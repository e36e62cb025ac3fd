import { Chalk } from 'chalk';
import type { Finding, VerifyResult } from '../finding.js';

export interface TextOptions {
  /** Colour only on a TTY and when NO_COLOR is unset; the command decides. */
  color: boolean;
}

/** `--format text`: findings grouped by file, each with its position, rule, message and fix. */
export function renderText(result: VerifyResult, options: TextOptions): string {
  const paint = new Chalk({ level: options.color ? 1 : 0 });
  const byFile = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const group = byFile.get(finding.file) ?? [];
    group.push(finding);
    byFile.set(finding.file, group);
  }
  const out: string[] = [];
  for (const [file, findings] of byFile) {
    out.push(paint.underline(file));
    for (const finding of findings) {
      const severity = finding.severity === 'error' ? paint.red('error') : paint.yellow('warn ');
      out.push(`  ${paint.dim(`${finding.line}:${finding.column}`.padEnd(8))} ${severity}  ${finding.message}  ${paint.dim(finding.rule)}`);
      if (finding.fix) out.push(`  ${' '.repeat(8)} ${paint.dim('fix:')}   ${finding.fix}`);
    }
    out.push('');
  }
  const { errors, warnings, files, durationMs } = result.summary;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  const baselined = result.baselined > 0 ? `, ${result.baselined} known (baseline)` : '';
  const verdict = errors > 0 ? paint.red.bold('✖ verify failed') : paint.green.bold('✔ verify passed');
  out.push(`${verdict}: ${counts}${baselined} in ${plural(files, 'file')}, ${plural(result.rules.length, 'rule')} (${durationMs} ms)`);
  return `${out.join('\n')}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
