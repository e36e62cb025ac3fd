/**
 * Sessions idle inside an open transaction for longer than `idle_in_transaction_s`: they hold
 * their locks and a snapshot that stops vacuum, and are usually a client that forgot to commit.
 */
import type { DbCheckModule } from '../check.js';
import { applicationDetail, hiddenSessionsNote, OTHER_CLIENTS, overThresholdVerdict, SESSION_COLUMNS, sessionRow, type SessionRow } from '../sessions.js';
import { round1 } from '../verdict.js';

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

export const idleInTransaction: DbCheckModule = {
  id: 'idle-in-transaction',
  title: 'Sessions idle in transaction',
  async run(db, context) {
    const thresholdS = context.thresholds.idle_in_transaction_s;
    const rows = await db.query<Row>(SQL, [thresholdS]);
    const longest = rows[0];
    const verdict = overThresholdVerdict(longest && { ...longest, seconds: longest.idle_s, detail: applicationDetail(longest) }, thresholdS, { noun: 'session', doing: 'idle in a transaction' });
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
