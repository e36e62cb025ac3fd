/**
 * Sessions idle inside an open transaction for longer than `idle_in_transaction_s`: they hold
 * their locks and a snapshot that stops vacuum, and are usually a client that forgot to commit.
 */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { duration, escalate, plural, round1 } from '../verdict.js';
import { hiddenSessionsNote, OTHER_CLIENTS, SESSION_COLUMNS, sessionRow, type SessionRow } from '../sessions.js';

interface Row extends SessionRow {
  idle_s: number;
  transaction_s: number | null;
}

const SQL = `
SELECT ${SESSION_COLUMNS},
       extract(epoch FROM now() - a.state_change)::float8 AS idle_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS transaction_s
FROM pg_stat_activity AS a
WHERE ${OTHER_CLIENTS}
  AND a.state LIKE 'idle in transaction%'
  AND now() - a.state_change > make_interval(secs => $1::float8)
ORDER BY a.state_change
LIMIT 20`;

function idleInTransactionVerdict(rows: readonly Pick<Row, 'pid' | 'application_name' | 'idle_s' | 'total'>[], thresholdS: number): Pick<CheckVerdict, 'status' | 'summary'> {
  const longest = rows[0];
  if (!longest) return { status: 'ok', summary: `no session idle in a transaction longer than ${duration(thresholdS)}` };
  return {
    status: escalate(longest.idle_s, thresholdS),
    summary: `${plural(longest.total, 'session')} idle in a transaction longer than ${duration(thresholdS)}; the longest ${duration(longest.idle_s)} (pid ${longest.pid}${longest.application_name ? `, ${longest.application_name}` : ''})`,
  };
}

export const idleInTransaction: DbCheckModule = {
  id: 'idle-in-transaction',
  title: 'Sessions idle in transaction',
  async run(db, context) {
    const thresholdS = context.thresholds.idle_in_transaction_s;
    const rows = await db.query<Row>(SQL, [thresholdS]);
    const verdict = idleInTransactionVerdict(rows, thresholdS);
    return {
      status: verdict.status,
      summary: `${verdict.summary}${hiddenSessionsNote(context)}`,
      numbers: { count: rows[0]?.total ?? 0, longest_s: rows[0] ? round1(rows[0].idle_s) : null, idle_in_transaction_s: thresholdS },
      rows: rows.map((row) => ({
        ...sessionRow(row, context),
        idle_s: round1(row.idle_s),
        transaction_s: row.transaction_s === null ? null : round1(row.transaction_s),
      })),
    };
  },
};
