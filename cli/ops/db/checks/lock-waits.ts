/**
 * Sessions waiting on a lock for longer than `lock_wait_s`, with who blocks them. The wait is
 * measured from `pg_locks.waitstart` (PostgreSQL 14+), falling back to the statement's start.
 */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { hiddenSessionsNote, OTHER_CLIENTS, overThresholdVerdict, SESSION_COLUMNS, sessionRow, type SessionRow } from '../sessions.js';
import { round1 } from '../verdict.js';

interface Row extends SessionRow {
  waiting_s: number;
  lock: string;
  relation: string | null;
  blocked_by: number[];
  blocker_application_name: string | null;
  blocker_state: string | null;
  blocker_query: string | null;
}

const SQL = `
SELECT ${SESSION_COLUMNS},
       extract(epoch FROM now() - coalesce(l.waitstart, a.query_start))::float8 AS waiting_s,
       l.locktype || ' ' || l.mode AS lock,
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation,
       blockers.pids AS blocked_by,
       blocker.application_name AS blocker_application_name,
       blocker.state AS blocker_state,
       blocker.query AS blocker_query
FROM pg_locks AS l
JOIN pg_stat_activity AS a ON a.pid = l.pid
CROSS JOIN LATERAL (SELECT pg_blocking_pids(a.pid) AS pids) AS blockers
LEFT JOIN pg_stat_activity AS blocker ON blocker.pid = blockers.pids[1]
WHERE NOT l.granted
  AND ${OTHER_CLIENTS}
  AND now() - coalesce(l.waitstart, a.query_start) > make_interval(secs => $1::float8)
ORDER BY waiting_s DESC
LIMIT 20`;

export function lockWaitsVerdict(rows: readonly Pick<Row, 'pid' | 'waiting_s' | 'blocked_by' | 'total'>[], thresholdS: number): Pick<CheckVerdict, 'status' | 'summary'> {
  const longest = rows[0];
  const blockers = longest && longest.blocked_by.length > 0 ? `, blocked by pid ${longest.blocked_by.join(', ')}` : '';
  return overThresholdVerdict(longest && { ...longest, seconds: longest.waiting_s, detail: blockers }, thresholdS, { noun: 'session', doing: 'waiting on a lock' });
}

export const lockWaits: DbCheckModule = {
  id: 'lock-waits',
  title: 'Lock waits',
  async run(db, context) {
    const thresholdS = context.thresholds.lock_wait_s;
    const rows = await db.query<Row>(SQL, [thresholdS]);
    const verdict = lockWaitsVerdict(rows, thresholdS);
    return {
      status: verdict.status,
      summary: `${verdict.summary}${hiddenSessionsNote(context)}`,
      numbers: {
        count: rows[0]?.total ?? 0,
        longest_s: rows[0] ? round1(rows[0].waiting_s) : null,
        blocker_pid: rows[0]?.blocked_by[0] ?? null,
        lock_wait_s: thresholdS,
      },
      rows: rows.map(({ blocker_query, ...row }) => ({
        ...sessionRow(row, context),
        waiting_s: round1(row.waiting_s),
        blocker_query: context.queryText(blocker_query),
      })),
    };
  },
};
