/**
 * What the webhook needs to know about an update before storing it: is it shaped like a
 * Telegram update, what is its id, and which chat it belongs to (its processing lane).
 * Telegram never sends a malformed update; somebody else might, and it must end in a recorded
 * UPDATE_INVALID, never in a crash or a silent drop.
 */

export type UpdateCheck =
  | { ok: true; updateId: number; chatId: number | null; kind: string }
  | { ok: false; updateId: number | null; reason: string };

/** Update fields whose value is an object carrying a `chat` (a Message). */
const MESSAGE_KINDS = ['message', 'edited_message', 'channel_post', 'edited_channel_post', 'business_message', 'edited_business_message'];
/** Update fields whose value is an object carrying a `from` user. */
const USER_KINDS = ['callback_query', 'inline_query', 'chosen_inline_result', 'shipping_query', 'pre_checkout_query', 'my_chat_member', 'chat_member', 'chat_join_request'];

export function checkUpdate(body: unknown): UpdateCheck {
  if (!isObject(body)) return { ok: false, updateId: null, reason: 'the body is not a JSON object' };
  const updateId = body.update_id;
  if (typeof updateId !== 'number' || !Number.isSafeInteger(updateId) || updateId < 0) {
    return { ok: false, updateId: null, reason: 'update_id is missing or not a non-negative integer' };
  }
  const kinds = Object.keys(body).filter((key) => key !== 'update_id');
  if (kinds.length !== 1) {
    return { ok: false, updateId, reason: kinds.length === 0 ? 'the update carries no content field' : `the update carries ${kinds.length} content fields (${kinds.join(', ')}), Telegram sends exactly one` };
  }
  const kind = kinds[0]!;
  const content = body[kind];
  if (!isObject(content)) return { ok: false, updateId, reason: `${kind} is not an object` };

  if (MESSAGE_KINDS.includes(kind)) {
    const chat = content.chat;
    if (!isObject(chat) || !isInteger(chat.id)) return { ok: false, updateId, reason: `${kind}.chat.id is missing or not an integer` };
    if ('text' in content && typeof content.text !== 'string') return { ok: false, updateId, reason: `${kind}.text is not a string` };
    if ('from' in content && (!isObject(content.from) || !isInteger(content.from.id))) return { ok: false, updateId, reason: `${kind}.from.id is not an integer` };
    return { ok: true, updateId, chatId: chat.id as number, kind };
  }
  if (USER_KINDS.includes(kind)) {
    const from = content.from;
    if (!isObject(from) || !isInteger(from.id)) return { ok: false, updateId, reason: `${kind}.from.id is missing or not an integer` };
    const message = content.message;
    const chat = isObject(message) && isObject(message.chat) && isInteger(message.chat.id) ? (message.chat.id as number) : null;
    if (kind === 'callback_query' && (typeof content.id !== 'string' || content.id.length === 0)) {
      return { ok: false, updateId, reason: 'callback_query.id is missing or not a string' };
    }
    return { ok: true, updateId, chatId: chat ?? (from.id as number), kind };
  }
  return { ok: true, updateId, chatId: null, kind };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
