/** Statements running longer than `long_running_s` (pgHero's long-running queries). */
import type { DbCheckModule } from '../check.js';
import { applicationDetail, hiddenSessionsNote, OTHER_CLIENTS, overThresholdVerdict, SESSION_COLUMNS, sessionRow, type SessionRow } from '../sessions.js';
import { round1 } from '../verdict.js';

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

export const longRunning: DbCheckModule = {
  id: 'long-running-queries',
  title: 'Long-running queries',
  async run(db, context) {
    const thresholdS = context.thresholds.long_running_s;
    const rows = await db.query<Row>(SQL, [thresholdS]);
    const longest = rows[0];
    const verdict = overThresholdVerdict(longest && { ...longest, seconds: longest.running_s, detail: applicationDetail(longest) }, thresholdS, { noun: 'statement', doing: 'running' });
    return {
      status: verdict.status,
      summary: `${verdict.summary}${hiddenSessionsNote(context)}`,
      numbers: { count: rows[0]?.total ?? 0, longest_s: rows[0] ? round1(rows[0].running_s) : null, long_running_s: thresholdS },
      rows: rows.map((row) => ({ ...sessionRow(row, context), running_s: round1(row.running_s) })),
    };
  },
};
