/**
 * The documents `trt ops logs` prints and saves: text (one line a log), JSON, JSON lines (the
 * artifact) and a markdown summary. They render lines that are already redacted.
 */
import { Chalk } from 'chalk';
import { markdownText } from '../../core/markdown.js';
import type { LogLine } from '../model.js';
import type { LogFetchResult } from './fetch.js';
import { LEVELS } from './normalize.js';
import type { RenderWait } from './render-source.js';

/** Lines shown in the markdown document; the JSON lines artifact has all of them. */
const MARKDOWN_LINES = 500;

export function renderLogsText(fetched: LogFetchResult, options: { color: boolean }): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const paint = (level: string | null, text: string) =>
    level === 'error' || level === 'fatal' ? chalk.red(text) : level === 'warn' ? chalk.yellow(text) : level === 'debug' || level === 'trace' ? chalk.dim(text) : text;
  return fetched.lines.map((line) => paint(line.level, textLine(line))).join('\n') + (fetched.lines.length > 0 ? '\n' : '');
}

export function renderLogsJson(fetched: LogFetchResult): string {
  const { source, window, requests, rateLimited, waits, truncated, lines } = fetched;
  return `${JSON.stringify({ source, window, requests, rateLimited, waits, truncated, lines }, null, 2)}\n`;
}

/** One LogLine a line. */
export function renderLogsJsonl(fetched: LogFetchResult): string {
  return fetched.lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}

export function renderLogsMarkdown(fetched: LogFetchResult): string {
  const lines = fetched.lines;
  const out = [
    '# trt ops logs',
    '',
    `- **Source:** ${fetched.source}${fetched.source === 'render' ? ` (${fetched.requests} request${fetched.requests === 1 ? '' : 's'}, ${fetched.rateLimited} rate-limited)` : ''}`,
    `- **Window:** ${fetched.window.since} → ${fetched.window.until}`,
    `- **Lines:** ${lines.length}${fetched.truncated ? ' (the limit cut off older lines)' : ''}`,
  ];
  if (fetched.waits.length > 0) out.push(`- **Waits:** ${describeWaits(fetched.waits)}`);
  out.push('', '## By level', '', markdownTable(['level', 'lines'], countByLevel(lines).map(([level, count]) => [level, String(count)])));
  out.push('', '## Lines', '');
  if (lines.length === 0) out.push('No lines in the window.');
  else {
    const shown = lines.slice(-MARKDOWN_LINES);
    if (shown.length < lines.length) out.push(`The newest ${shown.length} of ${lines.length}; all of them are in the .jsonl artifact.`, '');
    out.push('```text', ...shown.map((line) => textLine(line).replace(/```/g, "'''")), '```');
  }
  return `${out.join('\n')}\n`;
}

/** `trt: 120 lines from render (…)`, for stderr. */
export function describeFetch(fetched: LogFetchResult): string {
  const parts = [`${fetched.lines.length} line${fetched.lines.length === 1 ? '' : 's'} from ${fetched.source}, ${fetched.window.since} → ${fetched.window.until}`];
  if (fetched.source === 'render') parts.push(`${fetched.requests} request${fetched.requests === 1 ? '' : 's'}, ${fetched.rateLimited} rate-limited`);
  if (fetched.waits.length > 0) parts.push(`waited ${describeWaits(fetched.waits)}`);
  if (fetched.truncated) parts.push('older lines cut off by --limit');
  return parts.join('; ');
}

export function describeWait(wait: RenderWait): string {
  return `${(wait.ms / 1000).toFixed(wait.ms < 10_000 ? 2 : 0)} s (${wait.reason}: ${wait.basis})`;
}

function describeWaits(waits: readonly RenderWait[]): string {
  return waits.map(describeWait).join(', ');
}

function textLine(line: LogLine): string {
  return `${line.ts}  ${(line.level ?? '-').toUpperCase().padEnd(5)}  ${line.instance ?? '-'}  ${line.message}`;
}

function countByLevel(lines: readonly LogLine[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.level ?? '(none)', (counts.get(line.level ?? '(none)') ?? 0) + 1);
  const rank = (level: string) => {
    const index = (LEVELS as readonly string[]).indexOf(level);
    return index < 0 ? -1 : index;
  };
  return [...counts.entries()].sort((a, b) => rank(b[0]) - rank(a[0]) || a[0].localeCompare(b[0]));
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map((cell) => markdownText(cell)).join(' | ')} |`)].join('\n');
}
