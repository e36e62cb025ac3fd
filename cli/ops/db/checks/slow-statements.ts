/**
 * Statements slow on average, from pg_stat_statements (pgHero's slow queries: mean time over
 * `slow_statement_ms` and called at least {@link MIN_CALLS} times, so a one-off report or
 * migration is not listed). Without the extension there is nothing to read: the check says so,
 * and how to enable it.
 */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { plural, round1 } from '../verdict.js';

export const MIN_CALLS = 100;

const HOW_TO_ENABLE =
  "add pg_stat_statements to shared_preload_libraries, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements in this database (managed services: enable it in the provider's settings)";

interface Row {
  query: string | null;
  calls: number;
  mean_ms: number;
  total_ms: number;
  rows: number;
  total: number;
}

/** PostgreSQL 13 split planning from execution time and renamed the columns. */
function slowSql(serverVersionNum: number): string {
  const [mean, total] = serverVersionNum >= 130000 ? ['mean_exec_time', 'total_exec_time'] : ['mean_time', 'total_time'];
  return `
SELECT s.query,
       s.calls::float8 AS calls,
       s.${mean}::float8 AS mean_ms,
       s.${total}::float8 AS total_ms,
       s.rows::float8 AS rows,
       count(*) OVER ()::int AS total
FROM pg_stat_statements AS s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.${mean} > $1::float8
  AND s.calls >= $2::bigint
ORDER BY s.${total} DESC
LIMIT 20`;
}

export const slowStatements: DbCheckModule = {
  id: 'slow-statements',
  title: 'Slow statements (pg_stat_statements)',
  async run(db, context): Promise<CheckVerdict> {
    const thresholdMs = context.thresholds.slow_statement_ms;
    const [extension] = await db.query<{ version: string }>("SELECT extversion AS version FROM pg_extension WHERE extname = 'pg_stat_statements'");
    if (!extension) {
      return {
        status: 'unavailable',
        summary: `pg_stat_statements is not installed in this database: ${HOW_TO_ENABLE}`,
        numbers: { installed: false, slow_statement_ms: thresholdMs },
      };
    }
    let rows: Row[];
    try {
      rows = await db.query<Row>(slowSql(context.serverVersionNum), [thresholdMs, MIN_CALLS]);
    } catch (error) {
      // Installed but not preloaded: the view exists and refuses to be read.
      throw new Error(`${error instanceof Error ? error.message : String(error)} (${HOW_TO_ENABLE})`);
    }
    const slowest = rows[0];
    return {
      status: slowest ? 'warn' : 'ok',
      summary: slowest
        ? `${plural(slowest.total, 'statement')} slower than ${thresholdMs} ms on average (called ${MIN_CALLS}+ times); the costliest ${round1(slowest.mean_ms)} ms × ${slowest.calls} calls`
        : `no statement slower than ${thresholdMs} ms on average among those called ${MIN_CALLS}+ times`,
      numbers: {
        count: slowest?.total ?? 0,
        worst_mean_ms: rows.length > 0 ? round1(Math.max(...rows.map((row) => row.mean_ms))) : null,
        slow_statement_ms: thresholdMs,
        min_calls: MIN_CALLS,
        extension_version: extension.version,
      },
      rows: rows.map((row) => ({
        mean_ms: round1(row.mean_ms),
        calls: row.calls,
        total_ms: Math.round(row.total_ms),
        rows: row.rows,
        query: context.queryText(row.query),
      })),
    };
  },
};
