/**
 * The credits ledger (migration 003): every change of a balance is an entry with a unique ref,
 * so repeating an operation (a retried job, a payment delivered twice) adds nothing. The
 * database keeps the per-chat sum and refuses any entry that would make it negative. Read back
 * by GET /admin/credits.
 */
import type pg from 'pg';

export type EntryKind = 'grant' | 'purchase' | 'reserve' | 'capture' | 'release' | 'refund';

export interface LedgerEntry {
  chatId: number;
  kind: EntryKind;
  /** Signed: credits added (grant, purchase, release, refund) or held (reserve, negative); capture is 0. */
  amount: number;
  /** Idempotency: an entry with a ref already in the ledger is not added again. */
  ref: string;
  cid: string | null;
  generationId?: number | null;
}

export type EntryOutcome = 'added' | 'duplicate' | 'insufficient';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const INSUFFICIENT = 'credit_balance_never_negative';

/**
 * Adds an entry unless its ref is known. `insufficient` when the balance would go negative; run
 * inside a transaction, that failure aborts the transaction (use a savepoint around it to go on).
 */
export async function addEntry(db: Queryable, entry: LedgerEntry): Promise<EntryOutcome> {
  try {
    const result = await db.query(
      `INSERT INTO credit_ledger (chat_id, kind, amount, ref, cid, generation_id)
       VALUES ($1::bigint, $2::text, $3::bigint, $4::text, $5::text, $6::bigint)
       ON CONFLICT ON CONSTRAINT credit_ledger_ref_unique DO NOTHING`,
      [entry.chatId, entry.kind, entry.amount, entry.ref, entry.cid, entry.generationId ?? null],
    );
    return result.rowCount === 1 ? 'added' : 'duplicate';
  } catch (error) {
    if ((error as { constraint?: string }).constraint === INSUFFICIENT) return 'insufficient';
    throw error;
  }
}

/** The balance: the sum of the chat's entries, computed by PostgreSQL (0 for a chat with none). */
export async function balanceOf(db: Queryable, chatId: number): Promise<number> {
  const result = await db.query<{ balance: string }>('SELECT COALESCE(sum(amount), 0)::text AS balance FROM credit_ledger WHERE chat_id = $1::bigint', [chatId]);
  return Number(result.rows[0]!.balance);
}

/** One ledger entry as the admin API answers it: numbers are JSON numbers, ts is ISO 8601. */
interface LedgerRow {
  ts: string;
  kind: string;
  amount: number;
  ref: string;
  cid: string | null;
  generation_id: number | null;
}

/** The chat's latest `limit` entries, newest first. */
async function recentEntries(db: Queryable, chatId: number, limit: number): Promise<LedgerRow[]> {
  const result = await db.query<{ created_at: Date; kind: string; amount: string; ref: string; cid: string | null; generation_id: string | null }>(
    `SELECT created_at, kind, amount::text, ref, cid, generation_id::text
       FROM credit_ledger
      WHERE chat_id = $1::bigint
      ORDER BY id DESC
      LIMIT $2::int`,
    [chatId, limit],
  );
  return result.rows.map((row) => ({
    ts: row.created_at.toISOString(),
    kind: row.kind,
    amount: Number(row.amount),
    ref: row.ref,
    cid: row.cid,
    generation_id: row.generation_id === null ? null : Number(row.generation_id),
  }));
}

/**
 * The balance and the latest entries from one snapshot, so a reader comparing them (smoke S5:
 * "debited exactly once") never sees an entry the balance does not include, or the reverse.
 */
export async function creditStatement(pool: Pick<pg.Pool, 'connect'>, chatId: number, limit: number): Promise<{ balance: number; entries: LedgerRow[] }> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const balance = await balanceOf(client, chatId);
    const entries = await recentEntries(client, chatId, limit);
    await client.query('COMMIT');
    return { balance, entries };
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
