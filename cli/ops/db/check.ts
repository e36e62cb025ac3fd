/**
 * What a `trt ops db` check is: an id (what `trt ops critical5` keys its detectors by), a title
 * and a `run()` that reads the database through {@link DbReader} — which can only read — and
 * returns a verdict with the figures behind it. A check never throws for a finding; when it
 * cannot run (permission, timeout, a table this database does not have) the runner records it as
 * `unavailable` with the reason, and the other checks go on.
 */
import { databaseSettings } from '../../../bot/config.js';
import type { MigrationFile } from '../../../bot/db/migrate.js';
import type { Truth } from '../../core/truth.js';
import type { DbCheck } from '../model.js';

/** Runs one statement in a read-only transaction of its own and returns its rows. */
export interface DbReader {
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** `observability.db` of the truth, every threshold set. */
export interface DbThresholds {
  long_running_s: number;
  idle_in_transaction_s: number;
  lock_wait_s: number;
  cache_hit_min_pct: number;
  sequence_used_max_pct: number;
  connections_used_max_pct: number;
  inbox_backlog_max: number;
  error_events_per_hour_max: number;
  slow_statement_ms: number;
}

/** pgHero's defaults where it has one (long-running 60 s, cache hit 99 %, sequences 90 %). */
export const DEFAULT_THRESHOLDS: Readonly<DbThresholds> = {
  long_running_s: 60,
  idle_in_transaction_s: 60,
  lock_wait_s: 5,
  cache_hit_min_pct: 99,
  sequence_used_max_pct: 90,
  connections_used_max_pct: 80,
  inbox_backlog_max: 100,
  error_events_per_hour_max: 20,
  slow_statement_ms: 100,
};

export interface DbCheckContext {
  thresholds: DbThresholds;
  /** The bot's side of the contract: its lock, its heartbeat limits, its migrations, its poll period. */
  bot: ReturnType<typeof databaseSettings>;
  /** The migration files, when the caller already read them; otherwise the check reads `bot.migrationsDir`. */
  migrations?: readonly MigrationFile[];
  serverVersionNum: number;
  /** ISO time the statistics counters start from; null when the server does not say. */
  statsResetAt: string | null;
  /** Client sessions in this database whose state this role may not see (it lacks pg_read_all_stats). */
  hiddenSessions: number;
  /** A query text as a row may show it: secrets redacted first, then cut to {@link QUERY_TEXT_MAX} characters. */
  queryText(text: string | null): string | null;
}

/** What a check's run() decides; the runner adds the id and title. */
export type CheckVerdict = Omit<DbCheck, 'id' | 'title'>;

export interface DbCheckModule {
  /** Stable: `trt ops critical5` turns a non-ok check into an issue by this id. */
  id: string;
  title: string;
  run(db: DbReader, context: DbCheckContext): Promise<CheckVerdict>;
}

export const QUERY_TEXT_MAX = 200;
/** At most this many offending rows per check, worst first. */
export const ROWS_MAX = 20;

/** Reads the thresholds and the bot's settings from the truth; unset ones take the bot's defaults (bot/config.ts databaseSettings). */
export function settingsFrom(truth: Truth, root: string): Pick<DbCheckContext, 'thresholds' | 'bot'> {
  return {
    thresholds: { ...DEFAULT_THRESHOLDS, ...definedOnly(truth.observability?.db ?? {}) },
    bot: databaseSettings(truth, root),
  };
}

function definedOnly(values: Partial<Record<keyof DbThresholds, number>>): Partial<DbThresholds> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => typeof value === 'number'));
}
