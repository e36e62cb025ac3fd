/**
 * The webhook's durable write: the update row (the inbox is the processing queue) and its
 * UPDATE_RECEIVED (or UPDATE_DUPLICATE) event in one statement, so the 200 is only ever sent for
 * an update that is stored, and a retry of the same update_id never stores it twice.
 */
import type pg from 'pg';

export interface IncomingUpdate {
  updateId: number;
  chatId: number | null;
  cid: string;
  payload: unknown;
  /** This (PASSIVE) instance answers the update's callback query itself. */
  passiveAnswered: boolean;
}

export type StoreOutcome = { stored: true } | { stored: false; cid: string };

const STORE_SQL = `
WITH ins AS (
  INSERT INTO inbox (update_id, chat_id, cid, payload, passive_answered)
  VALUES ($1::bigint, $2::bigint, $3::text, $4::jsonb, $6::boolean)
  ON CONFLICT (update_id) DO NOTHING
  RETURNING update_id
), original AS (
  SELECT cid FROM inbox WHERE update_id = $1::bigint
), ev AS (
  INSERT INTO app_events (event, level, cid, update_id, chat_id, data)
  SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'UPDATE_RECEIVED' ELSE 'UPDATE_DUPLICATE' END,
         'info',
         CASE WHEN EXISTS (SELECT 1 FROM ins) THEN $3::text ELSE COALESCE((SELECT cid FROM original), $3::text) END,
         $1::bigint, $2::bigint, $5::jsonb
)
SELECT (SELECT count(*) FROM ins)::int AS stored, (SELECT cid FROM original) AS original_cid`;

export async function storeUpdate(pool: pg.Pool, update: IncomingUpdate, kind: string): Promise<StoreOutcome> {
  const result = await pool.query<{ stored: number; original_cid: string | null }>(STORE_SQL, [
    update.updateId,
    update.chatId,
    update.cid,
    JSON.stringify(update.payload),
    JSON.stringify({ kind }),
    update.passiveAnswered,
  ]);
  const row = result.rows[0]!;
  return row.stored > 0 ? { stored: true } : { stored: false, cid: row.original_cid ?? update.cid };
}

/** Updates stored and not yet processed: the backlog the capacity limit applies to. */
export async function backlogDepth(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ depth: number }>('SELECT count(*)::int AS depth FROM inbox WHERE processed_at IS NULL');
  return result.rows[0]!.depth;
}
