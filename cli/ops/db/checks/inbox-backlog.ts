/**
 * Stored updates not yet processed (`inbox.processed_at IS NULL`): each one is a user waiting for
 * a reply. The depth against `inbox_backlog_max`, and the age of the oldest.
 */
import type { DbCheckModule } from '../check.js';
import { duration, escalate, plural, round1, toNumber } from '../verdict.js';

const DEPTH_SQL = `
SELECT count(*)::int AS depth,
       extract(epoch FROM now() - min(received_at))::float8 AS oldest_s
FROM inbox
WHERE processed_at IS NULL`;

const OLDEST_SQL = `
SELECT update_id::text, chat_id::text, cid, received_at,
       extract(epoch FROM now() - received_at)::float8 AS age_s
FROM inbox
WHERE processed_at IS NULL
ORDER BY received_at, update_id
LIMIT 20`;

interface OldestRow {
  update_id: string;
  chat_id: string | null;
  cid: string;
  received_at: Date;
  age_s: number;
}

export const inboxBacklog: DbCheckModule = {
  id: 'inbox-backlog',
  title: 'Inbox backlog',
  async run(db, context) {
    const max = context.thresholds.inbox_backlog_max;
    const [depthRow] = await db.query<{ depth: number; oldest_s: number | null }>(DEPTH_SQL);
    const depth = depthRow?.depth ?? 0;
    const oldestS = depthRow?.oldest_s ?? null;
    const status = escalate(depth, max);
    const oldest = status === 'ok' ? [] : await db.query<OldestRow>(OLDEST_SQL);
    const age = oldestS === null ? '' : `, the oldest waiting ${duration(oldestS)}`;
    return {
      status,
      summary: status === 'ok' ? `${plural(depth, 'unprocessed update')}${age} (at most ${max})` : `${plural(depth, 'unprocessed update')} in the inbox, over ${max}${age}`,
      numbers: { depth, oldest_s: oldestS === null ? null : round1(oldestS), inbox_backlog_max: max },
      rows: oldest.map((row) => ({
        update_id: toNumber(row.update_id),
        chat_id: toNumber(row.chat_id),
        cid: row.cid,
        received_at: row.received_at.toISOString(),
        age_s: round1(row.age_s),
      })),
    };
  },
};
