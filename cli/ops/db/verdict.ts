/**
 * Small pieces the checks share: how a figure over its threshold becomes a status, how numbers
 * and durations read in a summary, and what to tell the user about an error PostgreSQL returned.
 */
import type { CheckStatus } from '../model.js';

/**
 * Over the threshold is worth a look (`warn`); this many times over, something is stuck and
 * needs a person now (`critical`).
 */
export const CRITICAL_FACTOR = 10;

/**
 * `ok` up to the threshold, `warn` above it, `critical` above {@link CRITICAL_FACTOR} times it
 * (a threshold under 1 counts as 1 there, so a threshold of 0 does not make every finding critical).
 */
export function escalate(value: number | null, threshold: number): CheckStatus {
  if (value === null || value <= threshold) return 'ok';
  return value > Math.max(threshold, 1) * CRITICAL_FACTOR ? 'critical' : 'warn';
}

/** One decimal place: ages and durations in a report are read by people. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** `42 s`, `7.5 min`, `3.2 h`, `2.1 d`. */
export function duration(seconds: number): string {
  if (seconds < 120) return `${round1(seconds)} s`;
  if (seconds < 7200) return `${round1(seconds / 60)} min`;
  if (seconds < 172800) return `${round1(seconds / 3600)} h`;
  return `${round1(seconds / 86400)} d`;
}

/** `8 kB`, `1.5 MB`: sizes as pg_size_pretty shows them. */
export function bytes(value: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? size : round1(size)} ${units[unit]}`;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** A bigint or numeric column as pg returns it (a string) as a JS number; null stays null. */
export function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

/**
 * What a check that could not run says: PostgreSQL's message plus, for the usual causes, what to
 * do about it.
 */
export function describeDbError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case '42P01':
      return `${message} (this database lacks the bot's tables: is it the bot's database, with its migrations applied?)`;
    case '42501':
      return `${message} (the role lacks a privilege: grant it pg_read_all_stats and SELECT on the bot's tables)`;
    case '57014':
      return `${message} (the read-only statement timeout ended it)`;
    case '55P03':
      return `${message} (another session holds a lock on what this check reads; it did not wait)`;
    default:
      return message;
  }
}
