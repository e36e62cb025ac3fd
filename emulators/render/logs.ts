/**
 * The Render emulator's log store and the paging of `GET /v1/logs`.
 *
 * Paging is by time window, as on Render: a page holds at most `limit` logs of the window
 * (newest first backward, oldest first forward) and, when more remain, the window of the next
 * page. Every stored log has a unique position: its millisecond plus, in the sub-millisecond
 * digits, the order it was added among the logs of that millisecond. `startTime` is inclusive and
 * `endTime` exclusive, so the next window — backward: same start, end at the last log returned;
 * forward: start just after the last log returned, same end — neither repeats nor skips a log,
 * however many share a timestamp.
 */
import { randomUUID } from 'node:crypto';
import { NANOS_PER_MS, millisToNanos, type Nanos } from './time.js';

/** A log to store, as a test or another process gives it. */
export interface RenderLogInput {
  /** ISO 8601 / RFC 3339 text, a Date or Unix milliseconds. */
  timestamp: string | Date | number;
  /** Kept as given, ANSI colour codes included (Render keeps them in build logs). */
  message: string;
  /** The service (or other resource) the log belongs to, e.g. `srv-…`. */
  resource: string;
  level?: string;
  /** Render's log type: app, build, request, deploy, …; default `app`. */
  type?: string;
  instance?: string;
  /** Default: a random UUID. */
  id?: string;
}

export interface RenderLabel {
  name: string;
  value: string;
}

/** One log as `GET /v1/logs` returns it. */
export interface RenderLog {
  id: string;
  message: string;
  /** RFC 3339 with milliseconds. */
  timestamp: string;
  labels: RenderLabel[];
}

export interface StoredLog {
  log: RenderLog;
  position: Nanos;
  resource: string;
  level: string | null;
  type: string;
  instance: string | null;
}

export interface LogQuery {
  resources: readonly string[];
  /** Inclusive. */
  start: Nanos;
  /** Exclusive. */
  end: Nanos;
  direction: 'forward' | 'backward';
  limit: number;
  /** Each filter keeps a log matching any of its values; an empty filter keeps every log. */
  levels: readonly string[];
  types: readonly string[];
  instances: readonly string[];
  /** Case-insensitive substrings of the message. */
  texts: readonly string[];
}

export interface LogPage {
  logs: StoredLog[];
  hasMore: boolean;
  nextStart: Nanos;
  nextEnd: Nanos;
}

export class LogStore {
  /** Ascending by position. */
  private stored: StoredLog[] = [];
  /** How many logs each millisecond holds: the sub-millisecond digits of the next one. */
  private readonly perMillisecond = new Map<number, number>();

  /** Stores the logs (in the order given within a millisecond); returns them as the API will show them. */
  add(inputs: readonly RenderLogInput[]): RenderLog[] {
    const added = inputs.map((input) => this.toStored(input));
    this.stored = [...this.stored, ...added].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    return added.map((entry) => structuredClone(entry.log));
  }

  all(): RenderLog[] {
    return this.stored.map((entry) => structuredClone(entry.log));
  }

  clear(): void {
    this.stored = [];
    this.perMillisecond.clear();
  }

  query(query: LogQuery): LogPage {
    const texts = query.texts.map((text) => text.toLowerCase());
    const matching = this.stored.filter(
      (entry) =>
        entry.position >= query.start &&
        entry.position < query.end &&
        query.resources.includes(entry.resource) &&
        anyOf(query.levels, entry.level) &&
        anyOf(query.types, entry.type) &&
        anyOf(query.instances, entry.instance) &&
        (texts.length === 0 || texts.some((text) => entry.log.message.toLowerCase().includes(text))),
    );
    const hasMore = matching.length > query.limit;
    if (query.direction === 'backward') {
      const logs = matching.slice(-query.limit).reverse();
      const last = logs.at(-1);
      return { logs, hasMore, nextStart: query.start, nextEnd: last ? last.position : query.end };
    }
    const logs = matching.slice(0, query.limit);
    const last = logs.at(-1);
    return { logs, hasMore, nextStart: last ? last.position + 1n : query.start, nextEnd: query.end };
  }

  private toStored(input: RenderLogInput): StoredLog {
    const problems = logInputProblems(input);
    if (problems.length > 0) throw new TypeError(`invalid log: ${problems.join('; ')}`);
    const ms = toMillis(input.timestamp)!;
    const ordinal = this.perMillisecond.get(ms) ?? 0;
    if (BigInt(ordinal) >= NANOS_PER_MS) throw new RangeError(`more than ${NANOS_PER_MS} logs in the millisecond ${new Date(ms).toISOString()}`);
    this.perMillisecond.set(ms, ordinal + 1);
    const type = input.type ?? 'app';
    const labels: RenderLabel[] = [{ name: 'resource', value: input.resource }];
    if (input.instance !== undefined) labels.push({ name: 'instance', value: input.instance });
    if (input.level !== undefined) labels.push({ name: 'level', value: input.level });
    labels.push({ name: 'type', value: type });
    return {
      log: { id: input.id ?? randomUUID(), message: input.message, timestamp: new Date(ms).toISOString(), labels },
      position: millisToNanos(ms) + BigInt(ordinal),
      resource: input.resource,
      level: input.level ?? null,
      type,
      instance: input.instance ?? null,
    };
  }
}

/** Every problem with a log to store, so one round trip fixes them all. */
export function logInputProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ['expected an object like {"timestamp":"2026-11-23T10:00:00.000Z","message":"…","resource":"srv-…","level":"info","type":"app","instance":"…"}'];
  }
  const input = value as Record<string, unknown>;
  const problems: string[] = [];
  if (toMillis(input.timestamp) === null) problems.push(`timestamp must be an ISO 8601 time, a Date or Unix milliseconds, got ${JSON.stringify(input.timestamp)}`);
  if (typeof input.message !== 'string') problems.push(`message must be a string, got ${JSON.stringify(input.message)}`);
  if (typeof input.resource !== 'string' || input.resource === '') problems.push(`resource must be a non-empty string (a service id like srv-…), got ${JSON.stringify(input.resource)}`);
  for (const name of ['level', 'type', 'instance', 'id'] as const) {
    const field = input[name];
    if (field !== undefined && (typeof field !== 'string' || field === '')) problems.push(`${name}, when given, must be a non-empty string, got ${JSON.stringify(field)}`);
  }
  return problems;
}

function toMillis(timestamp: unknown): number | null {
  const ms = timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === 'string' ? Date.parse(timestamp) : typeof timestamp === 'number' ? timestamp : NaN;
  return Number.isInteger(ms) ? ms : null;
}

function anyOf(wanted: readonly string[], value: string | null): boolean {
  return wanted.length === 0 || (value !== null && wanted.includes(value));
}
