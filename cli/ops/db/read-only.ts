/**
 * The only way `trt ops db` touches the database: one statement inside `BEGIN READ ONLY` …
 * `ROLLBACK`, so PostgreSQL itself refuses any write (INSERT, UPDATE, DDL, nextval) even when the
 * URL is a superuser's.
 *
 * Everything is transaction-scoped (`set_config(…, true)` is `SET LOCAL`): a session-level
 * setting would outlive the run on a server connection that a transaction-mode pooler then hands
 * to the bot. The statement goes through the extended protocol, which takes exactly one
 * statement, so a text like `SELECT 1; COMMIT; DELETE …` cannot end the read-only transaction.
 *
 * @example
 * ```ts
 * const rows = await queryReadOnly<{ n: number }>(client, 'SELECT count(*)::int AS n FROM inbox');
 * ```
 */
import type pg from 'pg';

export interface ReadOnlyLimits {
  /** A check that takes longer is cut off and reported unavailable, not waited for. */
  statementTimeoutMs: number;
  /** Never queue behind a migration's or a stuck session's lock: the bot's requests are queued behind us. */
  lockTimeoutMs: number;
  /** If this process hangs between BEGIN and ROLLBACK, the server ends the session. */
  idleInTransactionMs: number;
}

export const READ_ONLY_LIMITS: Readonly<ReadOnlyLimits> = {
  statementTimeoutMs: 5000,
  lockTimeoutMs: 1000,
  idleInTransactionMs: 10_000,
};

const LIMITS_SQL = `SELECT set_config('statement_timeout', $1::text, true),
       set_config('lock_timeout', $2::text, true),
       set_config('idle_in_transaction_session_timeout', $3::text, true)`;

/** Runs `sql` read-only on `client` and returns its rows; rejects with PostgreSQL's error. */
export async function queryReadOnly<Row>(
  client: pg.ClientBase,
  sql: string,
  params: readonly unknown[] = [],
  limits: ReadOnlyLimits = READ_ONLY_LIMITS,
): Promise<Row[]> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(LIMITS_SQL, [String(limits.statementTimeoutMs), String(limits.lockTimeoutMs), String(limits.idleInTransactionMs)]);
    // pg supports queryMode; its type declarations do not list it yet.
    const statement: pg.QueryConfig<unknown[]> & { queryMode: 'extended' } = { text: sql, values: [...params], queryMode: 'extended' };
    const result = await client.query<Row & pg.QueryResultRow>(statement);
    return result.rows;
  } finally {
    // When the connection is gone the ROLLBACK fails too, and the session's end rolls back anyway;
    // the error that matters is the statement's.
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
