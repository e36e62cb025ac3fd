/** Where a chat is in the generate flow: the model it picked, the prompt it sent, what we await. */
import type pg from 'pg';

export interface ChatState {
  modelId: string | null;
  prompt: string | null;
  awaiting: 'prompt' | 'confirm' | null;
}

type Queryable = Pick<pg.Pool, 'query'>;

export async function readChatState(db: Queryable, chatId: number): Promise<ChatState> {
  const result = await db.query<{ model_id: string | null; prompt: string | null; awaiting: string | null }>(
    'SELECT model_id, prompt, awaiting FROM chat_state WHERE chat_id = $1::bigint',
    [chatId],
  );
  const row = result.rows[0];
  const awaiting = row?.awaiting === 'prompt' || row?.awaiting === 'confirm' ? row.awaiting : null;
  return { modelId: row?.model_id ?? null, prompt: row?.prompt ?? null, awaiting };
}

export async function writeChatState(db: Queryable, chatId: number, state: ChatState): Promise<void> {
  await db.query(
    `INSERT INTO chat_state (chat_id, model_id, prompt, awaiting) VALUES ($1::bigint, $2::text, $3::text, $4::text)
     ON CONFLICT (chat_id) DO UPDATE SET model_id = EXCLUDED.model_id, prompt = EXCLUDED.prompt, awaiting = EXCLUDED.awaiting, updated_at = clock_timestamp()`,
    [chatId, state.modelId, state.prompt, state.awaiting],
  );
}

/**
 * Takes the confirmed request out of the state atomically: of two concurrent confirm clicks only
 * one gets the prompt, the other finds nothing to confirm.
 */
export async function takeConfirmed(db: Queryable, chatId: number): Promise<{ modelId: string; prompt: string } | null> {
  const result = await db.query<{ model_id: string; prompt: string }>(
    `UPDATE chat_state AS s SET awaiting = NULL, prompt = NULL, updated_at = clock_timestamp()
       FROM (SELECT chat_id, model_id, prompt FROM chat_state WHERE chat_id = $1::bigint AND awaiting = 'confirm' FOR UPDATE) AS before
      WHERE s.chat_id = before.chat_id
      RETURNING before.model_id, before.prompt`,
    [chatId],
  );
  const row = result.rows[0];
  return row && row.model_id && row.prompt ? { modelId: row.model_id, prompt: row.prompt } : null;
}
