/**
 * The credits ledger (migration 003): every change of a balance is an entry with a unique ref,
 * so repeating an operation (a retried job, a payment delivered twice) adds nothing. The
 * database keeps the per-chat sum and refuses any entry that would make it negative.
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
