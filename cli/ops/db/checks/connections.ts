/**
 * Client connections against `max_connections`: past the last slots not reserved for superusers
 * every new connection is refused, the bot's pool and the next deploy's included.
 */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { hiddenSessionsNote } from '../sessions.js';
import { round1 } from '../verdict.js';

interface Totals {
  max_connections: number;
  reserved: number;
  total: number;
  active: number;
  idle: number;
  idle_in_transaction: number;
}

const TOTALS_SQL = `
SELECT current_setting('max_connections')::int AS max_connections,
       (current_setting('superuser_reserved_connections')::int
        + coalesce(current_setting('reserved_connections', true)::int, 0)) AS reserved,
       count(*)::int AS total,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       count(*) FILTER (WHERE state = 'idle')::int AS idle,
       count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS idle_in_transaction
FROM pg_stat_activity
WHERE backend_type = 'client backend'`;

const BY_CLIENT_SQL = `
SELECT datname AS database, usename AS role, application_name, coalesce(state, '(not visible)') AS state, count(*)::int AS connections
FROM pg_stat_activity
WHERE backend_type = 'client backend'
GROUP BY datname, usename, application_name, state
ORDER BY connections DESC, database, role, application_name
LIMIT 20`;

/** Over the share of `max_connections` is a warning; no ordinary slot left is critical. */
export function connectionsVerdict(totals: Totals, maxUsedPct: number): Pick<CheckVerdict, 'status' | 'summary'> & { usedPct: number } {
  const usedPct = totals.max_connections > 0 ? round1((100 * totals.total) / totals.max_connections) : 0;
  const usable = totals.max_connections - totals.reserved;
  const figures = `${totals.total} of ${totals.max_connections} connections in use (${usedPct} %): ${totals.active} active, ${totals.idle} idle, ${totals.idle_in_transaction} idle in transaction`;
  if (totals.total >= usable) return { status: 'critical', usedPct, summary: `${figures}; no slot left but the ${totals.reserved} reserved ones: new connections are refused` };
  if (usedPct > maxUsedPct) return { status: 'warn', usedPct, summary: `${figures}; over ${maxUsedPct} %` };
  return { status: 'ok', usedPct, summary: figures };
}

export const connections: DbCheckModule = {
  id: 'connections',
  title: 'Connections by state vs max_connections',
  async run(db, context) {
    const [totals] = await db.query<Totals>(TOTALS_SQL);
    if (!totals) throw new Error('pg_stat_activity returned no totals row');
    const verdict = connectionsVerdict(totals, context.thresholds.connections_used_max_pct);
    // Who holds the connections matters only when they run short.
    const byClient = verdict.status === 'ok' ? undefined : await db.query<Record<string, unknown>>(BY_CLIENT_SQL);
    return {
      status: verdict.status,
      summary: `${verdict.summary}${hiddenSessionsNote(context)}`,
      numbers: {
        total: totals.total,
        max_connections: totals.max_connections,
        reserved: totals.reserved,
        used_pct: verdict.usedPct,
        active: totals.active,
        idle: totals.idle,
        idle_in_transaction: totals.idle_in_transaction,
        connections_used_max_pct: context.thresholds.connections_used_max_pct,
      },
      rows: byClient,
    };
  },
};
