/**
 * Reporters for critical5 and the snapshot: pure functions from the result (and what could not
 * be read) to text, markdown or JSON. The command does the I/O; the JSON is exactly the
 * {@link Critical5} / {@link Snapshot} document of schemas/ops-snapshot.schema.json.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { markdownText } from '../../core/markdown.js';
import { renderTable } from '../../core/table.js';
import { AXES, type Critical5, type DbCheck, type Issue, type LogWindow, type Snapshot, type Unavailable } from '../model.js';

/** Why a source was not read; absent when it was. Said in the text and markdown reports. */
export interface RenderContext {
  /** Database checks that ran (status other than `unavailable`); null when the database was not checked. */
  dbChecks: number | null;
  unavailable: Unavailable;
  color?: boolean;
}

export function renderCritical5Json(critical5: Critical5): string {
  return `${JSON.stringify(critical5, null, 2)}\n`;
}

export function renderSnapshotJson(snapshot: Snapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

/** "no problems found in 1h of logs and 15 database checks" — what a clean run says, in every format. */
export function cleanStateLine(window: LogWindow | null, dbChecks: number | null): string {
  const logs = window ? `${formatDuration(Date.parse(window.until) - Date.parse(window.since))} of logs` : null;
  const db = dbChecks === null ? null : `${dbChecks} database check${dbChecks === 1 ? '' : 's'}`;
  return `no problems found in ${[logs, db].filter((part) => part !== null).join(' and ')}`;
}

export function renderCritical5Text(critical5: Critical5, context: RenderContext): string {
  const paint = new Chalk({ level: context.color ? 1 : 0 });
  const lines = [paint.bold(`trt ops critical5 — ${headline(critical5, context.dbChecks)}`), ...unavailableLines(context.unavailable).map((line) => paint.yellow(line)), ''];
  if (critical5.top.length === 0) {
    lines.push(cleanStateLine(critical5.window, context.dbChecks), '');
    return lines.join('\n');
  }
  lines.push(
    renderTable(
      ['#', 'priority', 'issue', 'total', 'count', 'last seen'],
      critical5.top.map((issue, index) => [index + 1, issue.priority, issue.id, issue.total, issue.evidence.count, issue.evidence.lastSeen]),
    ),
    '',
  );
  critical5.top.forEach((issue, index) => {
    lines.push(paintPriority(paint, issue, `${index + 1}. ${issue.id} (${issue.priority}, total ${issue.total}, ${issue.source}) — ${issue.title}`));
    lines.push(`   axes: ${AXES.map((axis) => `${axis} ${issue.axes[axis]}`).join(' · ')}`);
    lines.push(`   evidence: ${evidenceSummary(issue)}`);
    for (const sample of issue.evidence.samples) lines.push(`     ${sample}`);
    const numbers = numbersLine(issue);
    if (numbers) lines.push(`   figures: ${numbers}`);
    lines.push(`   action: ${issue.action}`, '');
  });
  return lines.join('\n');
}

export function renderCritical5Markdown(critical5: Critical5, context: RenderContext): string {
  return [`# trt ops critical5`, '', ...critical5Markdown(critical5, context, '##')].join('\n');
}

export function renderSnapshotText(snapshot: Snapshot, context: RenderContext): string {
  const lines = [`trt ops snapshot — ${snapshot.generatedAt}`, '', 'LOGS'];
  if (snapshot.logs) {
    const { source, window, lines: count, byLevel } = snapshot.logs;
    lines.push(`  ${count} lines from ${source}, ${window.since} → ${window.until}`);
    lines.push(`  by level: ${Object.entries(byLevel).map(([level, n]) => `${level} ${n}`).join(' · ') || 'none'}`);
  } else lines.push(`  not read${context.unavailable.logs ? `: ${context.unavailable.logs}` : ''}`);
  lines.push('', 'DATABASE');
  if (snapshot.db) {
    lines.push(`  ${snapshot.db.target} (PostgreSQL ${snapshot.db.serverVersion}), checked ${snapshot.db.checkedAt}`, '');
    lines.push(indent(renderTable(['check', 'status', 'summary'], snapshot.db.checks.map((check) => [check.id, check.status, check.summary]), { maxWidth: 100 })));
  } else lines.push(`  not checked${context.unavailable.db ? `: ${context.unavailable.db}` : ''}`);
  lines.push('', 'CRITICAL5', renderCritical5Text(snapshot.critical5, { ...context, unavailable: {} }));
  return lines.join('\n');
}

export function renderSnapshotMarkdown(snapshot: Snapshot, context: RenderContext): string {
  const lines = [`# trt ops snapshot`, '', `Generated ${snapshot.generatedAt}.`, '', '## Logs', ''];
  if (snapshot.logs) {
    const { source, window, lines: count, byLevel } = snapshot.logs;
    lines.push(`${count} lines from \`${source}\`, ${window.since} → ${window.until}.`, '');
    lines.push('| level | lines |', '|---|---:|', ...Object.entries(byLevel).map(([level, n]) => `| ${level} | ${n} |`));
  } else lines.push(`Not read${context.unavailable.logs ? `: ${markdownText(context.unavailable.logs)}` : '.'}`);
  lines.push('', '## Database', '');
  if (snapshot.db) {
    lines.push(`\`${snapshot.db.target}\` (PostgreSQL ${snapshot.db.serverVersion}), checked ${snapshot.db.checkedAt}.`, '');
    lines.push('| check | status | summary |', '|---|---|---|', ...snapshot.db.checks.map((check: DbCheck) => `| ${check.id} | ${check.status} | ${markdownText(check.summary)} |`));
  } else lines.push(`Not checked${context.unavailable.db ? `: ${markdownText(context.unavailable.db)}` : '.'}`);
  lines.push('', '## Critical 5', '', ...critical5Markdown(snapshot.critical5, { ...context, unavailable: {} }, '###'));
  return lines.join('\n');
}

function critical5Markdown(critical5: Critical5, context: RenderContext, heading: string): string[] {
  const lines = [`${headline(critical5, context.dbChecks)}.`, ...unavailableLines(context.unavailable).map((line) => `> ${line}`), ''];
  if (critical5.top.length === 0) return [...lines, `${cleanStateLine(critical5.window, context.dbChecks)}.`, ''];
  lines.push('| # | priority | issue | total | count | last seen |', '|---:|---|---|---:|---:|---|');
  critical5.top.forEach((issue, index) => {
    lines.push(`| ${index + 1} | ${issue.priority} | ${issue.id} | ${issue.total} | ${issue.evidence.count} | ${issue.evidence.lastSeen ?? '–'} |`);
  });
  lines.push('');
  critical5.top.forEach((issue, index) => {
    lines.push(`${heading} ${index + 1}. ${issue.id} — ${issue.priority}, total ${issue.total}`, '', `${markdownText(issue.title)} (from ${issue.source}).`, '');
    lines.push(`| ${AXES.join(' | ')} |`, `|${AXES.map(() => '---:').join('|')}|`, `| ${AXES.map((axis) => issue.axes[axis]).join(' | ')} |`, '');
    lines.push(`Evidence: ${evidenceSummary(issue)}.`, '');
    if (issue.evidence.samples.length > 0) lines.push('```text', ...issue.evidence.samples.map((sample) => sample.replace(/```/g, "'''")), '```', '');
    const numbers = numbersLine(issue);
    if (numbers) lines.push(`Figures: ${markdownText(numbers)}`, '');
    lines.push(`**Action:** ${issue.action}`, '');
  });
  return lines;
}

function headline(critical5: Critical5, dbChecks: number | null): string {
  const sources = [
    critical5.window ? `logs ${critical5.window.since} → ${critical5.window.until}` : 'no logs',
    dbChecks === null ? 'no database' : `${dbChecks} database check${dbChecks === 1 ? '' : 's'}`,
  ].join(', ');
  const shown = critical5.found > critical5.top.length ? `, the top ${critical5.top.length} shown` : '';
  return `${critical5.found} issue${critical5.found === 1 ? '' : 's'} found${shown} (${sources})`;
}

function unavailableLines(unavailable: Unavailable): string[] {
  return [
    ...(unavailable.logs ? [`logs not read: ${unavailable.logs}`] : []),
    ...(unavailable.db ? [`database not checked: ${unavailable.db}`] : []),
  ];
}

function evidenceSummary(issue: Issue): string {
  const { count, firstSeen, lastSeen } = issue.evidence;
  const what = issue.source === 'logs' ? `${count} line${count === 1 ? '' : 's'}` : `${count} finding${count === 1 ? '' : 's'}`;
  if (firstSeen && lastSeen && firstSeen !== lastSeen) return `${what}, first ${firstSeen}, last ${lastSeen}`;
  return lastSeen ? `${what}, seen ${lastSeen}` : what;
}

function numbersLine(issue: Issue): string | null {
  const entries = Object.entries(issue.evidence.numbers ?? {});
  return entries.length === 0 ? null : entries.map(([key, value]) => `${key}=${value ?? '–'}`).join(' ');
}

function paintPriority(paint: ChalkInstance, issue: Issue, text: string): string {
  return issue.priority === 'P0' ? paint.red.bold(text) : issue.priority === 'P1' ? paint.yellow.bold(text) : paint.bold(text);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** `1h`, `30m`, `1h 30m`, `45s`: a window's length as a person says it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count === 0) continue;
    parts.push(`${count}${unit}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}
