/**
 * The bot's connection pools: every connection names its instance (`application_name`), so a
 * new leader can find and terminate a hung holder's sessions, and a dropped idle connection is
 * logged instead of crashing the process.
 */
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * A pool whose connections carry `applicationName` (e.g. `trt-bot:<instanceId>`).
 *
 * A connection that dies (database restart, terminated backend, network cut) emits 'error' on
 * its client, and pg re-emits it on the pool when the client was idle; an EventEmitter 'error'
 * without a listener throws and would end the process, while the pool itself recovers by
 * opening a new connection on the next query. Each failure is logged once, by the client.
 */
export function createPool(connectionString: string, applicationName: string, log: Logger, max?: number): pg.Pool {
  // A webhook waiting on a full or unreachable pool must fail in time to answer 503, not hang.
  const pool = new pg.Pool({ connectionString, application_name: applicationName, max, connectionTimeoutMillis: 2000 });
  const database = describeDatabaseUrl(connectionString);
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      log.warn({ err: error, database, applicationName }, 'a database connection failed and was dropped from the pool; the next query opens a new one');
    });
  });
  pool.on('error', () => {
    // Already logged by the client's own listener above.
  });
  return pool;
}

/**
 * `host:port/database` of a PostgreSQL URL, without user or password, for logs and error messages.
 *
 * @example
 * describeDatabaseUrl('postgres://bot:s3cret@db.internal:6543/trt') // 'db.internal:6543/trt'
 */
export function describeDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The text may itself be a secret (a key=value string with a password): never echo it.
    return '(a database URL that is not a postgres:// URL)';
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || parsed.searchParams.get('port') || '5432';
  const database = safeDecode(parsed.pathname.replace(/^\//, ''));
  return `${host}:${port}/${database || '(default database)'}`;
}

/** decodeURIComponent, or the text itself when it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
