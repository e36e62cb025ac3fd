/**
 * `trt ops db`'s engine, also called by the bot's `GET /admin/ops/snapshot`: opens one dedicated
 * connection, runs every check through {@link queryReadOnly} and returns the redacted report.
 * It never writes: each statement runs in a read-only transaction that is rolled back.
 *
 * A check that cannot run (missing privilege, timeout, a table this database does not have) is
 * `unavailable` with the reason and the run goes on; only a database that cannot be reached at
 * all fails the run.
 *
 * @example
 * ```ts
 * const report = await checkDatabase({ url: process.env.DATABASE_URL_READONLY!, truth, root: '.' });
 * const critical = report.checks.filter((check) => check.status === 'critical');
 * ```
 */
import pg from 'pg';
import type { MigrationFile } from '../../../bot/db/migrate.js';
import { describeDatabaseUrl } from '../../../bot/db/pool.js';
import { TrtError } from '../../core/errors.js';
import { redactJson, secretRedactor } from '../../core/redact.js';
import type { Truth } from '../../core/truth.js';
import type { DbCheck, DbReport } from '../model.js';
import { QUERY_TEXT_MAX, ROWS_MAX, settingsFrom, type DbCheckContext, type DbCheckModule, type DbReader } from './check.js';
import { opsSecretValues } from '../secrets.js';
import { DB_CHECKS } from './checks/index.js';
import { queryReadOnly } from './read-only.js';
import { describeDbError } from './verdict.js';

export interface CheckDatabaseOptions {
  /** A postgres:// URL; a read-only role with pg_read_all_stats sees the most. */
  url: string;
  truth: Truth;
  /** The repository root: `database.migrations` is resolved against it. */
  root: string;
  /** The report's time; default now. Ages are measured on the database's clock, which wrote them. */
  now?: Date;
  /** The migration files as the caller already holds them (the bot reads its own once at start); default: read from `database.migrations`. */
  migrations?: readonly MigrationFile[];
}

/** How the session shows in pg_stat_activity, and how the checks leave it out of their findings. */
export const APPLICATION_NAME = 'trt-ops-db';
const CONNECT_TIMEOUT_MS = 10_000;

interface Preamble {
  server_version: string;
  server_version_num: number;
  stats_reset: Date | null;
  hidden_sessions: number;
}

/*
 * A database created after the last cluster-wide reset has no stats_reset of its own; its counters
 * started no earlier than the bgwriter's.
 */
const PREAMBLE_SQL = `
SELECT current_setting('server_version') AS server_version,
       current_setting('server_version_num')::int AS server_version_num,
       coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
                (SELECT stats_reset FROM pg_stat_bgwriter)) AS stats_reset,
       (SELECT count(*)::int FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend' AND state IS NULL) AS hidden_sessions`;

export async function checkDatabase(options: CheckDatabaseOptions): Promise<DbReport> {
  const redact = databaseRedactor(options.url, options.truth);
  const target = describeDatabaseUrl(options.url);
  const checkedAt = (options.now ?? new Date()).toISOString();
  const client = new pg.Client({ connectionString: options.url, application_name: APPLICATION_NAME, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // Without a listener a dropped connection would crash the process; the queries after it fail,
  // and each of those checks is reported unavailable.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new TrtError(
      'DATABASE_UNREACHABLE',
      `cannot connect to ${target}: ${redact(describeDbError(error))}`,
      'check the URL (--url, DATABASE_URL_READONLY or DATABASE_URL), that the server is up and reachable from here, and the role and password',
    );
  }
  try {
    const reader: DbReader = { query: (sql, params) => queryReadOnly(client, sql, params) };
    let preamble: Preamble | undefined;
    try {
      [preamble] = await reader.query<Preamble>(PREAMBLE_SQL);
    } catch (error) {
      throw new TrtError('DATABASE_UNREACHABLE', `cannot read the server's settings on ${target}: ${redact(describeDbError(error))}`, 'check that the role may connect to this database');
    }
    if (!preamble) throw new TrtError('DATABASE_UNREACHABLE', `the server at ${target} answered no settings`);
    const statsResetAt = preamble.stats_reset?.toISOString() ?? null;
    const context: DbCheckContext = {
      ...settingsFrom(options.truth, options.root),
      ...(options.migrations ? { migrations: options.migrations } : {}),
      serverVersionNum: preamble.server_version_num,
      statsResetAt,
      hiddenSessions: preamble.hidden_sessions,
      queryText: (text) => (text === null ? null : cut(redact(text), QUERY_TEXT_MAX)),
    };
    const checks: DbCheck[] = [];
    for (const check of DB_CHECKS) checks.push(await runCheck(check, reader, context, redact));
    return redactJson({ target, checkedAt, serverVersion: preamble.server_version, statsResetAt, checks }, redact);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runCheck(check: DbCheckModule, reader: DbReader, context: DbCheckContext, redact: (text: string) => string): Promise<DbCheck> {
  try {
    const verdict = await check.run(reader, context);
    const rows = verdict.rows?.slice(0, ROWS_MAX);
    return { id: check.id, title: check.title, status: verdict.status, summary: verdict.summary, numbers: verdict.numbers, ...(rows && rows.length > 0 ? { rows } : {}) };
  } catch (error) {
    return { id: check.id, title: check.title, status: 'unavailable', summary: `could not check: ${redact(describeDbError(error))}`, numbers: {} };
  }
}

/*
 * Query texts can hold what no list of secrets knows: `ALTER ROLE … PASSWORD '…'`, a conninfo
 * string passed to dblink. Those literals are cut out by shape.
 */
const PASSWORD_LITERAL: readonly [RegExp, string][] = [
  [/\b(password\s+)'(?:[^']|'')*'/gi, "$1'[REDACTED]'"],
  // No backslash in the bare form: inside a JSON document it would cut an escape sequence in half.
  [/\b(password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'"\\]+)/gi, '$1[REDACTED]'],
];

/**
 * Redacts the truth's `env.secret` values, RENDER_API_KEY, the URL and its password (the URL may
 * come from --url, which no environment variable names), the shapes of other secrets, and
 * password literals in query texts.
 */
export function databaseRedactor(url: string, truth: Truth, env: NodeJS.ProcessEnv = process.env): (text: string) => string {
  const bySecret = secretRedactor(opsSecretValues(truth, env, url));
  return (text) => PASSWORD_LITERAL.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), bySecret(text));
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
