/**
 * The Bot API methods the emulator answers: each validates its parameters in the order and with
 * the wording of the real server (tdlib/telegram-bot-api, `Client.cpp`) and returns the result
 * object Telegram would, typed with grammY's Bot API types so the shapes stay honest.
 *
 * Descriptions are Telegram's: `parameter "title" is required`, `chat_id is empty`,
 * `message is not modified: …`. Where the real wording is not known (a few payment checks) the
 * text says plainly what is wrong; the README lists those.
 */
import type { InlineKeyboardMarkup, LabeledPrice, Message, MessageEntity, PhotoSize } from 'grammy/types';
import { parseTelegramHtml, trimFormatted } from './html.js';
import { isPlainObject } from '../net.js';
import { asBool, asInteger, asText, type Params } from './params.js';
import { unixNow, type TelegramState } from './state.js';

/** A refusal of the Bot API: answered as `{ ok: false, error_code, description, parameters? }`. */
export class BotApiError extends Error {
  override readonly name = 'BotApiError';
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

export interface MethodReply {
  result: unknown;
  /** Telegram adds one to some successes, e.g. setWebhook's "Webhook was set". */
  description?: string;
}

export type Handler = (params: Params, state: TelegramState) => MethodReply;

const QUERY_ID_INVALID = 'query is too old and response timeout expired or query ID is invalid';
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current ' +
  'content and reply markup of the message';
const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document',
  'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);
const BUTTON_ACTIONS = [
  'url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay',
];
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const MAX_CALLBACK_DATA_BYTES = 64;

function badRequest(what: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${what}`);
}

const HANDLERS: Record<string, Handler> = {
  getMe: (_params, state) => ({ result: state.me }),

  sendMessage(params, state) {
    const text = messageText(params);
    const markup = replyMarkup(params);
    const chatId = chatIdOf(params);
    return { result: state.addMessage(chatId, { ...textContent(text), ...markupContent(markup) }) };
  },

  editMessageText(params, state) {
    const text = messageText(params);
    const markup = replyMarkup(params);
    const target = editTarget(params);
    if (target === 'inline') return { result: true };
    const stored = editable(state, target);
    if (stored.text === undefined) throw badRequest('there is no text in the message to edit');
    const { entities: _entities, reply_markup: _markup, edit_date: _edited, ...rest } = stored;
    return { result: saveEdit(state, stored, { ...rest, ...textContent(text), ...markupContent(markup) }) };
  },

  editMessageReplyMarkup(params, state) {
    const markup = replyMarkup(params);
    const target = editTarget(params);
    if (target === 'inline') return { result: true };
    const stored = editable(state, target);
    const { reply_markup: _markup, edit_date: _edited, ...rest } = stored;
    return { result: saveEdit(state, stored, { ...rest, ...markupContent(markup) }) };
  },

  deleteMessage(params, state) {
    if (asText(params.chat_id).trim() === '') throw badRequest('chat identifier is not specified');
    const chatId = chatIdOf(params);
    const messageId = asInteger(params.message_id) ?? 0;
    if (messageId <= 0) throw badRequest('message identifier is not specified');
    if (!state.deleteMessage(chatId, messageId)) throw badRequest('message to delete not found');
    return { result: true };
  },

  answerCallbackQuery(params) {
    if (asText(params.callback_query_id).trim() === '') throw badRequest(QUERY_ID_INVALID);
    return { result: true };
  },

  sendChatAction(params) {
    if (!CHAT_ACTIONS.has(asText(params.action))) throw badRequest('wrong parameter action in request');
    chatIdOf(params);
    return { result: true };
  },

  sendPhoto(params, state) {
    const photo = typeof params.photo === 'string' ? params.photo.trim() : '';
    if (photo === '') throw badRequest('there is no photo in the request');
    if (!isRemoteFile(photo)) throw badRequest('wrong file identifier/HTTP URL specified');
    const caption = captionOf(params);
    const markup = replyMarkup(params);
    const chatId = chatIdOf(params);
    return {
      result: state.addMessage(chatId, {
        photo: photoSizes(state, /^https?:/i.test(photo) ? undefined : photo),
        ...(caption && caption.text !== '' ? { caption: caption.text } : {}),
        ...(caption && caption.entities.length > 0 ? { caption_entities: caption.entities } : {}),
        ...markupContent(markup),
      }),
    };
  },

  sendInvoice(params, state) {
    const title = requiredText(params, 'title');
    const description = requiredText(params, 'description');
    requiredText(params, 'payload'); // required, though the invoice message never shows it
    const currency = requiredText(params, 'currency');
    const prices = pricesOf(params);
    const providerToken = asText(params.provider_token);
    if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');
    if (currency === 'XTR') {
      if (providerToken !== '') throw badRequest('provider_token must be empty for payments in Telegram Stars');
      if (prices.length !== 1) throw badRequest('STARS_INVOICE_INVALID');
    } else if (providerToken === '') {
      throw badRequest('PAYMENT_PROVIDER_INVALID');
    }
    const total = prices.reduce((sum, price) => sum + price.amount, 0);
    if (total <= 0) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
    const markup = replyMarkup(params);
    const chatId = chatIdOf(params);
    return {
      result: state.addMessage(chatId, {
        invoice: { title, description, start_parameter: asText(params.start_parameter), currency, total_amount: total },
        ...markupContent(markup),
      }),
    };
  },

  answerPreCheckoutQuery(params) {
    if (asText(params.pre_checkout_query_id).trim() === '') throw badRequest(QUERY_ID_INVALID);
    if (!asBool(params.ok)) requiredText(params, 'error_message');
    return { result: true };
  },

  setMyCommands(params) {
    const commands = params.commands;
    const valid =
      Array.isArray(commands) &&
      commands.every((c) => isPlainObject(c) && typeof c.command === 'string' && typeof c.description === 'string');
    if (!valid) throw badRequest("can't parse commands JSON object");
    return { result: true };
  },

  setWebhook(params, state) {
    const url = asText(params.url).trim();
    if (url === '') return HANDLERS.deleteWebhook!(params, state);
    if (!isHttpUrl(url)) throw badRequest('invalid webhook URL specified');
    const secretToken = asText(params.secret_token);
    if (secretToken.length > 256) throw badRequest('secret token is too long');
    if (secretToken !== '' && !/^[A-Za-z0-9_-]+$/.test(secretToken)) {
      throw badRequest('secret token contains unallowed characters');
    }
    const allowed = params.allowed_updates;
    const webhook = {
      url,
      secretToken,
      maxConnections: Math.min(Math.max(asInteger(params.max_connections) ?? 40, 1), 100),
      ...(Array.isArray(allowed) ? { allowedUpdates: allowed.map(String) } : {}),
    };
    const unchanged = JSON.stringify(state.webhook) === JSON.stringify(webhook);
    state.webhook = webhook;
    if (!unchanged) state.lastWebhookError = undefined;
    return { result: true, description: unchanged ? 'Webhook is already set' : 'Webhook was set' };
  },

  deleteWebhook(_params, state) {
    const had = state.webhook !== undefined;
    state.webhook = undefined;
    state.lastWebhookError = undefined;
    return { result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' };
  },

  getWebhookInfo: (_params, state) => ({ result: state.webhookInfo() }),
};

/** Method names as Telegram spells them. */
export const METHOD_NAMES: readonly string[] = Object.keys(HANDLERS);

const BY_LOWER_NAME = new Map(METHOD_NAMES.map((name) => [name.toLowerCase(), { name, handle: HANDLERS[name]! }]));

/** Bot API method names are case-insensitive. */
export function findMethod(name: string): { name: string; handle: Handler } | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}

function requiredText(params: Params, name: string): string {
  const value = asText(params[name]);
  if (value === '') throw badRequest(`parameter "${name}" is required`);
  return value;
}

/** Any non-zero integer is a chat the bot can write to; `@channelusername` is not emulated. */
function chatIdOf(params: Params): number {
  const text = asText(params.chat_id).trim();
  if (text === '') throw badRequest('chat_id is empty');
  const id = asInteger(text);
  if (id === undefined || id === 0) throw badRequest('chat not found');
  return id;
}

interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

function formatted(raw: string, parseMode: unknown, entities: unknown): FormattedText {
  const mode = asText(parseMode).trim().toLowerCase();
  if (mode === 'html') {
    const parsed = parseTelegramHtml(raw);
    if (!parsed.ok) throw badRequest(`can't parse entities: ${parsed.error}`);
    return parsed;
  }
  // Markdown modes are accepted but not parsed: the text comes back as sent, without entities.
  if (mode === 'markdown' || mode === 'markdownv2') return trimFormatted(raw, []);
  if (mode !== '' && mode !== 'none') throw badRequest('unsupported parse_mode');
  const given = Array.isArray(entities) ? entities.filter(isEntity) : [];
  return trimFormatted(raw, given);
}

function isEntity(value: unknown): value is MessageEntity {
  return (
    isPlainObject(value) &&
    typeof value.type === 'string' &&
    Number.isInteger(value.offset) &&
    Number.isInteger(value.length)
  );
}

function messageText(params: Params): FormattedText {
  const raw = asText(params.text);
  if (raw === '') throw badRequest('message text is empty');
  const text = formatted(raw, params.parse_mode, params.entities);
  if (text.text === '') throw badRequest('message text is empty');
  if ([...text.text].length > MAX_TEXT) throw badRequest('message is too long');
  return text;
}

function captionOf(params: Params): FormattedText | undefined {
  const raw = asText(params.caption);
  if (raw === '') return undefined;
  const caption = formatted(raw, params.parse_mode, params.caption_entities);
  if ([...caption.text].length > MAX_CAPTION) throw badRequest('message caption is too long');
  return caption;
}

function textContent({ text, entities }: FormattedText): Partial<Message> {
  return entities.length > 0 ? { text, entities } : { text };
}

/** Messages carry only inline keyboards; other keyboards are accepted and not echoed, as in Telegram. */
function markupContent(markup: Record<string, unknown> | undefined): Partial<Message> {
  return markup && 'inline_keyboard' in markup ? { reply_markup: markup as unknown as InlineKeyboardMarkup } : {};
}

function replyMarkup(params: Params): Record<string, unknown> | undefined {
  const markup = params.reply_markup;
  if (markup === undefined || markup === null || markup === '') return undefined;
  if (!isPlainObject(markup)) throw badRequest("can't parse reply keyboard markup JSON object");
  if ('inline_keyboard' in markup) checkInlineKeyboard(markup.inline_keyboard);
  return markup;
}

function checkInlineKeyboard(rows: unknown): void {
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  for (const button of rows.flat() as unknown[]) {
    if (!isPlainObject(button)) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    if (typeof button.text !== 'string') {
      throw badRequest(`can't parse inline keyboard button: Field "text" must be of type String`);
    }
    if (!BUTTON_ACTIONS.some((action) => button[action] !== undefined)) {
      throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
    }
    if (button.callback_data !== undefined) {
      const bytes = Buffer.byteLength(asText(button.callback_data), 'utf8');
      if (bytes === 0 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest('BUTTON_DATA_INVALID');
    }
  }
}

function editTarget(params: Params): 'inline' | { chatId: number; messageId: number } {
  const messageId = asInteger(params.message_id) ?? 0;
  if (asText(params.chat_id).trim() === '' && messageId <= 0) {
    if (asText(params.inline_message_id) === '') throw badRequest('message identifier is not specified');
    return 'inline';
  }
  const chatId = chatIdOf(params);
  if (messageId <= 0) throw badRequest('message identifier is not specified');
  return { chatId, messageId };
}

function editable(state: TelegramState, target: { chatId: number; messageId: number }): Message {
  const stored = state.findMessage(target.chatId, target.messageId);
  if (stored === 'deleted') throw badRequest('message to edit not found');
  return stored;
}

/** Telegram refuses an edit that changes nothing: a classic production error the bot must handle. */
function saveEdit(state: TelegramState, before: Message, after: Message): Message {
  const content = (message: Message) =>
    JSON.stringify([message.text, message.entities ?? [], message.caption, message.reply_markup ?? null]);
  if (content(before) === content(after)) throw badRequest(NOT_MODIFIED);
  const edited = { ...after, edit_date: unixNow() };
  state.replaceMessage(edited);
  return edited;
}

function pricesOf(params: Params): LabeledPrice[] {
  const prices = params.prices;
  if (prices === undefined || prices === null || prices === '') throw badRequest('parameter "prices" is required');
  if (!Array.isArray(prices)) throw badRequest("can't parse prices JSON object");
  return prices.map((price: unknown) => {
    const amount = isPlainObject(price) ? asInteger(price.amount) : undefined;
    if (!isPlainObject(price) || typeof price.label !== 'string' || amount === undefined) {
      throw badRequest("can't parse prices JSON object: each price needs a String label and an Integer amount");
    }
    return { label: price.label, amount };
  });
}

/** A photo is sent by HTTP URL or by file_id; a local path or anything else is refused. */
function isRemoteFile(value: string): boolean {
  return /^https?:/i.test(value) ? isHttpUrl(value) : /^[A-Za-z0-9_-]+$/.test(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Three sizes, as Telegram makes; a photo sent by file_id keeps it as the largest size's id. */
function photoSizes(state: TelegramState, fileId: string | undefined): PhotoSize[] {
  const sides = [90, 320, 800];
  return sides.map((side, index) => {
    const ids = state.newFileId();
    const isLargest = index === sides.length - 1;
    return {
      ...ids,
      file_id: isLargest && fileId ? fileId : ids.file_id,
      width: side,
      height: side,
      file_size: side * side,
    };
  });
}
