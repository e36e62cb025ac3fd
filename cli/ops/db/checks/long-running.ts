/** Statements running longer than `long_running_s` (pgHero's long-running queries). */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { duration, escalate, plural, round1 } from '../verdict.js';
import { hiddenSessionsNote, OTHER_CLIENTS, SESSION_COLUMNS, sessionRow, type SessionRow } from '../sessions.js';

interface Row extends SessionRow {
  running_s: number;
}

const SQL = `
SELECT ${SESSION_COLUMNS},
       extract(epoch FROM now() - a.query_start)::float8 AS running_s
FROM pg_stat_activity AS a
WHERE ${OTHER_CLIENTS}
  AND a.state IN ('active', 'fastpath function call')
  AND now() - a.query_start > make_interval(secs => $1::float8)
ORDER BY a.query_start
LIMIT 20`;

function longRunningVerdict(rows: readonly Pick<Row, 'pid' | 'application_name' | 'running_s' | 'total'>[], thresholdS: number): Pick<CheckVerdict, 'status' | 'summary'> {
  const longest = rows[0];
  if (!longest) return { status: 'ok', summary: `no statement running longer than ${duration(thresholdS)}` };
  return {
    status: escalate(longest.running_s, thresholdS),
    summary: `${plural(longest.total, 'statement')} running longer than ${duration(thresholdS)}; the longest ${duration(longest.running_s)} (pid ${longest.pid}${longest.application_name ? `, ${longest.application_name}` : ''})`,
  };
}

export const longRunning: DbCheckModule = {
  id: 'long-running-queries',
  title: 'Long-running queries',
  async run(db, context) {
    const thresholdS = context.thresholds.long_running_s;
    const rows = await db.query<Row>(SQL, [thresholdS]);
    const verdict = longRunningVerdict(rows, thresholdS);
    return {
      status: verdict.status,
      summary: `${verdict.summary}${hiddenSessionsNote(context)}`,
      numbers: { count: rows[0]?.total ?? 0, longest_s: rows[0] ? round1(rows[0].running_s) : null, long_running_s: thresholdS },
      rows: rows.map((row) => ({ ...sessionRow(row, context), running_s: round1(row.running_s) })),
    };
  },
};
