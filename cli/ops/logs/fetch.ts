/**
 * One entry point for every log source `trt ops` reads: the `logs` command and the reports that
 * rank issues from logs call {@link fetchLogs}, so sources, windows, filters and redaction stay
 * in one place. Every line is redacted before anything else sees it (grep included), so nothing
 * downstream can print a secret.
 */
import type { Readable } from 'node:stream';
import { TrtError } from '../../core/errors.js';
import { secretRedactor } from '../../core/redact.js';
import type { LogFetch, LogLine } from '../model.js';
import { logLinesOf, openLogFile } from './file-source.js';
import { LEVELS, levelAtLeast, type Level } from './normalize.js';
import { fetchRenderLogs, renderSettingsFrom, type RenderPacing, type RenderWait } from './render-source.js';
import { parseBounds, parseWindow } from './window.js';

export const DEFAULT_LINE_LIMIT = 10_000;

export interface LogSourceOptions {
  source: 'render' | 'file' | 'stdin';
  /** The log file, for `source: 'file'`. */
  file?: string;
  /** A duration back from now (30m, 2h, 1d) or an RFC 3339 time; Render's default is 1h, a file is read whole. */
  since?: string;
  /** Default: now. */
  until?: string;
  /** A regular expression, case-insensitive, matched against each message. */
  grep?: string;
  /** The least severe level kept (trace, debug, info, warn, error, fatal). */
  level?: string;
  /** Lines kept at most, the newest; default {@link DEFAULT_LINE_LIMIT}. */
  limit?: number;
  /** Where RENDER_* come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** Values cut out of every line (the truth's env.secret values); RENDER_API_KEY is added. */
  secretValues: string[];
  /** Render client pacing, for tests that must not wait a real minute. */
  pacing?: Partial<RenderPacing>;
  /** Told about each pause for Render's rate limits as it starts. */
  onWait?: (wait: RenderWait) => void;
  /** For `source: 'stdin'`; default process.stdin. */
  stdin?: Readable;
}

/** What {@link fetchLogs} returns: a {@link LogFetch} plus the detail the logs report shows. */
export interface LogFetchResult extends LogFetch {
  /** Pauses made for Render's rate limits, in order. */
  waits: RenderWait[];
  /** True when the limit cut lines off (the oldest were dropped). */
  truncated: boolean;
}

/** Reads the logs of one source; throws a TrtError for usage, configuration and Render problems. */
export async function fetchLogs(options: LogSourceOptions): Promise<LogFetchResult> {
  const now = options.now ?? new Date();
  const env = options.env ?? process.env;
  const limit = checkedLimit(options.limit);
  const grep = compileGrep(options.grep);
  const minimum = checkedLevel(options.level);
  const redact = secretRedactor([...options.secretValues, ...(env.RENDER_API_KEY ? [env.RENDER_API_KEY] : [])]);
  const keep = (line: LogLine): LogLine | null => {
    const clean = redactLine(line, redact);
    if (minimum && !levelAtLeast(clean.level, minimum)) return null;
    if (grep && !grep.test(clean.message)) return null;
    return clean;
  };

  if (options.source === 'render') {
    if (options.file !== undefined) throw new TrtError('BAD_FLAG', '--file is for --source file, not --source render', 'drop --file, or add --source file');
    const settings = renderSettingsFrom(env);
    const window = parseWindow(options.since, options.until, now);
    const sinceMs = Date.parse(window.since);
    const untilMs = Date.parse(window.until);
    const result = await fetchRenderLogs({
      settings,
      window,
      ...(options.grep !== undefined && isPlainText(options.grep) ? { text: options.grep } : {}),
      select: (line) => {
        const ms = Date.parse(line.ts);
        return ms >= sinceMs && ms < untilMs ? keep(line) : null;
      },
      limit,
      secretValues: options.secretValues,
      ...(options.pacing ? { pacing: options.pacing } : {}),
      ...(options.onWait ? { onWait: options.onWait } : {}),
    });
    return { lines: result.lines, window, source: 'render', requests: result.requests, rateLimited: result.rateLimited, waits: result.waits, truncated: result.truncated };
  }

  const { sinceMs, untilMs } = parseBounds(options.since, options.until, now);
  const input = options.source === 'file' ? openLogFile(requiredFile(options.file)) : stdinOf(options);
  const kept: LogLine[] = [];
  let truncated = false;
  for await (const line of logLinesOf(input, options.source, now)) {
    const ms = Date.parse(line.ts);
    if ((sinceMs !== null && ms < sinceMs) || (untilMs !== null && ms >= untilMs)) continue;
    const clean = keep(line);
    if (!clean) continue;
    kept.push(clean);
    // Keep memory bounded on a large file: only the newest `limit` lines survive.
    if (kept.length > limit * 2) {
      kept.splice(0, kept.length - limit);
      truncated = true;
    }
  }
  const sorted = kept.map((line, index) => ({ line, index })).sort((a, b) => Date.parse(a.line.ts) - Date.parse(b.line.ts) || a.index - b.index).map(({ line }) => line);
  if (sorted.length > limit) truncated = true;
  const lines = sorted.slice(-limit);
  const window = {
    since: sinceMs !== null ? new Date(sinceMs).toISOString() : (lines[0]?.ts ?? new Date(untilMs ?? now.getTime()).toISOString()),
    until: untilMs !== null ? new Date(untilMs).toISOString() : (lines.at(-1)?.ts ?? now.toISOString()),
  };
  return { lines, window, source: options.source, requests: 0, rateLimited: 0, waits: [], truncated };
}

function redactLine(line: LogLine, redact: (text: string) => string): LogLine {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(line.labels)) labels[redact(name)] = redact(value);
  return { ...line, message: redact(line.message), instance: line.instance === null ? null : redact(line.instance), labels };
}

function stdinOf(options: LogSourceOptions): Readable {
  if (options.file !== undefined) throw new TrtError('BAD_FLAG', '--file is for --source file, not --source - (stdin)', 'drop --file, or use --source file');
  if (options.stdin) return options.stdin;
  // Reading a terminal would wait for typing that never comes.
  if (process.stdin.isTTY) throw new TrtError('BAD_FLAG', '--source - reads stdin, but nothing is piped in', 'pipe the logs in (e.g. `render logs -r srv-… -o json | trt ops logs --source -`), or use --source file --file PATH');
  return process.stdin;
}

function requiredFile(file: string | undefined): string {
  if (file === undefined || file === '') throw new TrtError('BAD_FLAG', '--source file needs --file PATH', 'give the log file with --file, or pipe it in with --source -');
  return file;
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LINE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new TrtError('BAD_FLAG', `--limit must be a whole number ≥ 1, got ${limit}`, `the default is ${DEFAULT_LINE_LIMIT}`);
  return limit;
}

function checkedLevel(level: string | undefined): Level | null {
  if (level === undefined) return null;
  const lower = level.toLowerCase();
  if (!(LEVELS as readonly string[]).includes(lower)) throw new TrtError('BAD_FLAG', `--level ${JSON.stringify(level)} is not a level`, `use one of ${LEVELS.join(', ')}`);
  return lower as Level;
}

function compileGrep(grep: string | undefined): RegExp | null {
  if (grep === undefined) return null;
  try {
    return new RegExp(grep, 'i');
  } catch (error) {
    throw new TrtError('BAD_FLAG', `--grep ${JSON.stringify(grep)} is not a valid regular expression: ${(error as Error).message}`, 'escape special characters such as ( [ . * with a backslash');
  }
}

/**
 * A grep with no regular-expression syntax and no quote (JSON escapes those in a bot line's raw
 * text): Render's substring filter then finds at least the lines the grep keeps.
 */
function isPlainText(grep: string): boolean {
  return grep.trim() !== '' && !/[\\^$.*+?()[\]{}|"]/.test(grep);
}
