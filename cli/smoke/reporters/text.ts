import { Chalk, type ChalkInstance } from 'chalk';
import { CLEAR_LINE, cutToWidth, oneLine } from '../../core/terminal.js';
import type { ScenarioResult, SmokeReport } from '../scenario.js';

export interface TextOptions {
  /** Colour only on a TTY and when NO_COLOR is unset (cli/core/terminal.ts); the command decides. */
  color: boolean;
}

export interface ProgressOptions extends TextOptions {
  /** On a terminal a "running" line is shown and then overwritten by the result. */
  tty: boolean;
}

/** Prints scenarios as they run; the command calls start/end around each scenario and finish once. */
export interface TextProgress {
  start(id: string, title: string): void;
  end(result: ScenarioResult): void;
  finish(report: SmokeReport): void;
}

/** Wide enough for every SPEC §5 title, so durations line up; a longer title pushes its own line only. */
const TITLE_WIDTH = 20;
const EVIDENCE_LINES = 6;
const EVIDENCE_VALUE_WIDTH = 160;

/**
 * `--format text` as a whole (for --out): the same lines the progress printer writes off a
 * terminal, one per scenario with the evidence of failures under it, then the summary.
 */
export function renderText(report: SmokeReport, options: TextOptions): string {
  const paint = painter(options.color);
  const lines = report.scenarios.flatMap((result) => scenarioLines(result, paint));
  lines.push('', summaryLine(report, paint));
  return `${lines.join('\n')}\n`;
}

/**
 * The live terminal output of `trt smoke`. On a TTY `start` shows "… S3 webhook fast-ack" until
 * `end` overwrites it with the result; elsewhere (CI logs, pipes) only results are written, one
 * line each, so a log never holds half-lines or escape sequences.
 *
 * @example
 * ```ts
 * const progress = createTextProgress(process.stderr, { color: useColor(process.stderr), tty: process.stderr.isTTY === true });
 * progress.start('S0', 'health');
 * progress.end(result);
 * progress.finish(report);
 * ```
 */
export function createTextProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, options: ProgressOptions): TextProgress {
  const paint = painter(options.color);
  let running = false;
  return {
    start(id, title) {
      if (!options.tty) return;
      stream.write(`${paint.dim('…')} ${id} ${oneLine(title)}`);
      running = true;
    },
    end(result) {
      const clear = running ? CLEAR_LINE : '';
      running = false;
      stream.write(`${clear}${scenarioLines(result, paint).join('\n')}\n`);
    },
    finish(report) {
      const clear = running ? CLEAR_LINE : '';
      running = false;
      stream.write(`${clear}\n${summaryLine(report, paint)}\n`);
    },
  };
}

/** "12 ms" under a second, "1.2 s" from there on. */
export function formatDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

/** "5 passed, 1 failed, 3 skipped in 2.4 s", shared with the markdown report. */
export function formatSummary(report: SmokeReport): string {
  const { passed, failed, skipped } = report.summary;
  return `${passed} passed, ${failed} failed, ${skipped} skipped in ${(report.durationMs / 1000).toFixed(1)} s`;
}

function painter(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

function scenarioLines(result: ScenarioResult, paint: ChalkInstance): string[] {
  const title = oneLine(result.title).padEnd(TITLE_WIDTH);
  const duration = paint.dim(formatDuration(result.durationMs).padStart(8));
  const reason = oneLine(result.reason);
  switch (result.status) {
    case 'pass':
      return [`${paint.green('✓')} ${result.id} ${title} ${duration}  ${reason}`];
    case 'skip':
      return [`${paint.yellow('–')} ${paint.dim(`${result.id} ${title}`)} ${duration}  ${paint.yellow(reason)}`];
    case 'fail':
      return [`${paint.red('✗')} ${paint.red.bold(result.id)} ${title} ${duration}  ${paint.red(reason)}`, ...evidenceLines(result.evidence, paint)];
  }
}

/**
 * At most six lines of a failure's evidence, the most telling first: what went wrong (error,
 * expected, actual), then short facts (status codes, latencies), then bulky bodies. The rest is
 * in the JSON report.
 */
function evidenceLines(evidence: Record<string, unknown>, paint: ChalkInstance): string[] {
  const entries = Object.entries(evidence)
    .filter(([, value]) => value !== undefined)
    .map(([key, value], index) => ({ key, value, index, rank: evidenceRank(key, value) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index);
  const shown = entries.length > EVIDENCE_LINES ? entries.slice(0, EVIDENCE_LINES - 1) : entries;
  const lines = shown.map(({ key, value }) => `    ${paint.dim(`${oneLine(key)}:`)} ${cutToWidth(JSON.stringify(value) ?? String(value), EVIDENCE_VALUE_WIDTH)}`);
  if (shown.length < entries.length) lines.push(`    ${paint.dim(`… ${entries.length - shown.length} more in --format json`)}`);
  return lines;
}

function evidenceRank(key: string, value: unknown): number {
  if (/error|expected|actual|cause/i.test(key)) return 0;
  return value === null || typeof value !== 'object' ? 1 : 2;
}

function summaryLine(report: SmokeReport, paint: ChalkInstance): string {
  const counts = report.summary.failed > 0 ? paint.red.bold(formatSummary(report)) : paint.green.bold(formatSummary(report));
  const passive = report.passiveUrl === null ? '' : paint.dim(` (passive ${oneLine(report.passiveUrl)})`);
  return `${counts} ${paint.dim('against')} ${oneLine(report.url)}${passive}`;
}

