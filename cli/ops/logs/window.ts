/**
 * The time window of `trt ops logs`: `--since` and `--until` are each a duration back from now
 * (`30m`, `2h`, `1d`, `90s`, `1w`), an RFC 3339 time, or (only `--until`) `now`.
 */
import { durationMs } from '../../core/duration.js';
import { TrtError } from '../../core/errors.js';
import type { LogWindow } from '../model.js';

/** Render's own default when no start is given. */
export const DEFAULT_SINCE = '1h';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** `since` (default {@link DEFAULT_SINCE}) to `until` (default now); throws a TrtError for an unreadable or empty window. */
export function parseWindow(since: string | undefined, until: string | undefined, now: Date): LogWindow {
  const untilMs = until === undefined ? now.getTime() : parseTimeFlag('--until', until, now);
  const sinceMs = parseTimeFlag('--since', since ?? DEFAULT_SINCE, now);
  return checkedWindow(sinceMs, untilMs);
}

/**
 * The bounds given, each null when not given: a log file is read whole unless told otherwise.
 * Throws like {@link parseWindow}.
 */
export function parseBounds(since: string | undefined, until: string | undefined, now: Date): { sinceMs: number | null; untilMs: number | null } {
  const sinceMs = since === undefined ? null : parseTimeFlag('--since', since, now);
  const untilMs = until === undefined ? null : parseTimeFlag('--until', until, now);
  if (sinceMs !== null && untilMs !== null) checkedWindow(sinceMs, untilMs);
  return { sinceMs, untilMs };
}

/** Unix milliseconds of a `--since`/`--until` value. */
export function parseTimeFlag(flag: '--since' | '--until', value: string, now: Date): number {
  const text = value.trim();
  if (flag === '--until' && text.toLowerCase() === 'now') return now.getTime();
  const back = durationMs(text);
  if (back !== undefined) return now.getTime() - back;
  const ms = RFC3339.test(text) ? Date.parse(text.replace(' ', 'T')) : NaN;
  if (Number.isNaN(ms)) {
    throw new TrtError(
      'BAD_FLAG',
      `${flag} ${JSON.stringify(value)} is neither a duration nor an RFC 3339 time`,
      `give a duration back from now (30m, 2h, 1d, 90s, 1w) or a time like 2026-11-23T10:00:00Z${flag === '--until' ? ', or now' : ''}`,
    );
  }
  return ms;
}

function checkedWindow(sinceMs: number, untilMs: number): LogWindow {
  if (sinceMs >= untilMs) {
    throw new TrtError(
      'BAD_FLAG',
      `the window is empty: --since ${new Date(sinceMs).toISOString()} is not before --until ${new Date(untilMs).toISOString()}`,
      'give a --since earlier than --until (a duration such as --since 2h counts back from now)',
    );
  }
  return { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString() };
}
