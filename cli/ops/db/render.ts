/**
 * The `trt ops db` report as text (a table of checks, then the details of every check that is
 * not ok), markdown (the same, for artifacts and pull requests) and JSON (the {@link DbReport}).
 * Pure functions of a report that is already redacted.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { inlineCode, markdownText } from '../../core/markdown.js';
import { renderTable } from '../../core/table.js';
import type { CheckStatus, DbCheck, DbReport } from '../model.js';

const STATUS_ORDER: readonly CheckStatus[] = ['critical', 'warn', 'unavailable', 'ok'];

export function renderDbJson(report: DbReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderDbText(report: DbReport, options: { color: boolean }): string {
  const paint = new Chalk({ level: options.color ? 1 : 0 });
  const table = renderTable(
    ['check', 'status', 'summary'],
    report.checks.map((check) => [check.id, check.status, check.summary]),
    { maxWidth: 110 },
  ).split('\n');
  const lines = [
    paint.bold(`trt ops db: ${report.target} (PostgreSQL ${report.serverVersion}), checked ${report.checkedAt}`),
    statsLine(report),
    '',
    ...table.map((line, index) => (index < 2 ? line : painter(paint, report.checks[index - 2]!.status)(line))),
  ];
  for (const check of report.checks.filter((check) => check.status !== 'ok')) {
    lines.push('', painter(paint, check.status)(`${check.id} (${check.title}): ${check.status}`), `  ${check.summary}`);
    const numbers = Object.entries(check.numbers);
    if (numbers.length > 0) lines.push(`  ${numbers.map(([key, value]) => `${key}=${value === null ? '–' : String(value)}`).join('  ')}`);
    if (check.rows && check.rows.length > 0) {
      const { header, cells } = tableOf(check.rows);
      lines.push(...renderTable(header, cells, { maxWidth: 80 }).split('\n').map((line) => `  ${line}`));
    }
  }
  lines.push('', paint.bold(countLine(report)));
  return `${lines.join('\n')}\n`;
}

export function renderDbMarkdown(report: DbReport): string {
  const out = [
    `# trt ops db: ${inlineCode(report.target)}`,
    '',
    `PostgreSQL ${inlineCode(report.serverVersion)}, checked ${inlineCode(report.checkedAt)}. ${statsLine(report)}`,
    '',
    `**${countLine(report)}**`,
    '',
    '| check | status | summary |',
    '|---|---|---|',
    ...report.checks.map((check) => `| ${check.id} | ${check.status} | ${markdownText(check.summary)} |`),
  ];
  for (const check of report.checks.filter((check) => check.status !== 'ok')) out.push('', ...markdownSection(check));
  return `${out.join('\n')}\n`;
}

function markdownSection(check: DbCheck): string[] {
  const lines = [`## ${check.id}: ${check.status}`, '', `${markdownText(check.title)}. ${markdownText(check.summary)}`];
  const numbers = Object.entries(check.numbers);
  if (numbers.length > 0) lines.push('', numbers.map(([key, value]) => `${key} ${inlineCode(value === null ? '–' : String(value))}`).join(' · '));
  if (check.rows && check.rows.length > 0) {
    const { header, cells } = tableOf(check.rows);
    lines.push('', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((row) => `| ${row.map((value) => markdownText(value === null ? '–' : String(value))).join(' | ')} |`));
  }
  return lines;
}

function statsLine(report: DbReport): string {
  return report.statsResetAt
    ? `Statistics since ${report.statsResetAt}: "unused" and the ratios count from then.`
    : 'Statistics since the server began keeping them (no reset recorded).';
}

function countLine(report: DbReport): string {
  const counts = STATUS_ORDER.map((status) => [status, report.checks.filter((check) => check.status === status).length] as const).filter(([, count]) => count > 0);
  return `${report.checks.length} checks: ${counts.map(([status, count]) => `${count} ${status}`).join(', ')}`;
}

/** The rows' keys in first-seen order; arrays and objects flattened to one cell. */
function tableOf(rows: readonly Record<string, unknown>[]): { header: string[]; cells: (string | number | boolean | null)[][] } {
  const header = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => header.map((key) => flat(row[key])));
  return { header, cells };
}

function flat(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ');
  return JSON.stringify(value);
}

function painter(paint: ChalkInstance, status: CheckStatus): (text: string) => string {
  switch (status) {
    case 'critical':
      return paint.red;
    case 'warn':
      return paint.yellow;
    case 'unavailable':
      return paint.dim;
    case 'ok':
      return (text) => text;
  }
}

