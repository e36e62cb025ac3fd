/**
 * The webhook's durable write: update rows (the inbox is the processing queue) and their
 * UPDATE_RECEIVED (or UPDATE_DUPLICATE) events in one statement, so the 200 is only ever sent
 * for an update that is stored, and a retry of the same update_id never stores it twice.
 *
 * Writes are group-committed: while one statement is in flight, the updates arriving meanwhile
 * wait and go together in the next one. Under light load every update is its own statement (no
 * added latency); under heavy load one commit — one WAL flush — acknowledges many updates,
 * where one commit each would make the disk the webhook's limit.
 */
import type pg from 'pg';

export interface IncomingUpdate {
  updateId: number;
  chatId: number | null;
  cid: string;
  payload: unknown;
  /** The update's kind (message, callback_query…), recorded with its event. */
  kind: string;
  /** This (PASSIVE) instance answers the update's callback query itself. */
  passiveAnswered: boolean;
}

export type StoreOutcome = { stored: true } | { stored: false; cid: string };

/**
 * Inserts the batch's first row of each update_id (ON CONFLICT: a retry of a stored one is a
 * duplicate), and records one event per delivery: UPDATE_RECEIVED for the stored one,
 * UPDATE_DUPLICATE — under the original's cid when it is known — for the others.
 */
const STORE_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[], $6::boolean[])
    WITH ORDINALITY AS t(update_id, chat_id, cid, payload, kind, passive_answered, position)
), firsts AS (
  SELECT DISTINCT ON (update_id) * FROM input ORDER BY update_id, position
), ins AS (
  INSERT INTO inbox (update_id, chat_id, cid, payload, passive_answered)
  SELECT update_id, chat_id, cid, payload, passive_answered FROM firsts
  ON CONFLICT (update_id) DO NOTHING
  RETURNING update_id, cid
), original AS (
  SELECT update_id, cid FROM inbox WHERE update_id IN (SELECT update_id FROM input)
), outcome AS (
  SELECT input.position, input.update_id, input.chat_id, input.kind,
         ins.cid IS NOT NULL AND ins.cid = input.cid AS stored,
         COALESCE(ins.cid, original.cid, input.cid) AS cid
    FROM input
    LEFT JOIN ins ON ins.update_id = input.update_id
    LEFT JOIN original ON original.update_id = input.update_id
), ev AS (
  INSERT INTO app_events (event, level, cid, update_id, chat_id, data)
  SELECT CASE WHEN stored THEN 'UPDATE_RECEIVED' ELSE 'UPDATE_DUPLICATE' END, 'info', cid, update_id, chat_id, jsonb_build_object('kind', kind)
    FROM outcome ORDER BY position
)
SELECT position::int AS position, stored, cid FROM outcome ORDER BY position`;

/** Enough to amortise a commit; small enough that one statement stays quick. */
const MAX_BATCH = 256;

interface Waiting {
  update: IncomingUpdate;
  resolve: (outcome: StoreOutcome) => void;
  reject: (error: unknown) => void;
}

export class InboxWriter {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly pool: pg.Pool) {}

  store(update: IncomingUpdate): Promise<StoreOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ update, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const outcomes = await writeBatch(this.pool, batch.map((entry) => entry.update));
        batch.forEach((entry, index) => entry.resolve(outcomes[index]!));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.flushing = false;
  }
}

async function writeBatch(pool: pg.Pool, updates: IncomingUpdate[]): Promise<StoreOutcome[]> {
  const result = await pool.query<{ position: number; stored: boolean; cid: string }>(STORE_SQL, [
    updates.map((update) => update.updateId),
    updates.map((update) => update.chatId),
    updates.map((update) => update.cid),
    updates.map((update) => JSON.stringify(update.payload)),
    updates.map((update) => update.kind),
    updates.map((update) => update.passiveAnswered),
  ]);
  if (result.rows.length !== updates.length) throw new Error(`the inbox write answered ${result.rows.length} rows for ${updates.length} updates`);
  return result.rows.map((row) => (row.stored ? { stored: true } : { stored: false, cid: row.cid }));
}

/** Updates stored and not yet processed: the backlog the capacity limit applies to. */
export async function backlogDepth(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ depth: number }>('SELECT count(*)::int AS depth FROM inbox WHERE processed_at IS NULL');
  return result.rows[0]!.depth;
}
