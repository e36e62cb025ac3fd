/**
 * Generations still `reserved` or `submitted` after their `deadline_at`: their credits stay
 * reserved and the user waits for nothing. The bot expires an overdue generation on its next poll,
 * so one is only stuck once two poll periods (`generation.poll_interval_s`) have passed.
 */
import type { DbCheckModule } from '../check.js';
import { duration, plural, round1, toNumber } from '../verdict.js';

interface Row {
  id: string;
  chat_id: string;
  cid: string;
  state: string;
  model_id: string;
  task_id: string | null;
  deadline_at: Date;
  overdue_s: number;
  total: number;
}

const SQL = `
SELECT id::text, chat_id::text, cid, state, model_id, task_id, deadline_at,
       extract(epoch FROM now() - deadline_at)::float8 AS overdue_s,
       count(*) OVER ()::int AS total
FROM generations
WHERE state IN ('reserved', 'submitted')
  AND deadline_at < now() - make_interval(secs => $1::float8)
ORDER BY deadline_at
LIMIT 20`;

export const stuckGenerations: DbCheckModule = {
  id: 'stuck-generations',
  title: 'Generations stuck past their deadline',
  async run(db, context) {
    const graceS = context.bot.generationPollIntervalS * 2;
    const rows = await db.query<Row>(SQL, [graceS]);
    const oldest = rows[0];
    return {
      status: oldest ? 'critical' : 'ok',
      summary: oldest
        ? `${plural(oldest.total, 'generation')} still reserved or submitted past the deadline; the oldest ${duration(oldest.overdue_s)} overdue (id ${oldest.id}, ${oldest.state})`
        : 'no generation past its deadline',
      numbers: { count: oldest?.total ?? 0, oldest_overdue_s: oldest ? round1(oldest.overdue_s) : null, grace_s: graceS },
      rows: rows.map((row) => ({
        id: toNumber(row.id),
        chat_id: toNumber(row.chat_id),
        cid: row.cid,
        state: row.state,
        model_id: row.model_id,
        task_id: row.task_id,
        deadline_at: row.deadline_at.toISOString(),
        overdue_s: round1(row.overdue_s),
      })),
    };
  },
};
