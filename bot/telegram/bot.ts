/**
 * The grammY bot: handlers for stored updates, which the dispatcher feeds through
 * `bot.handleUpdate` (grammY's own webhookCallback answers Telegram only after the handlers ran,
 * so the fast-acknowledging webhook is ours). Every Bot API call made while an update is
 * processed is recorded as REPLY_SENT or REPLY_FAILED under that update's cid.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Bot, type Context } from 'grammy';
import type { Logger } from 'pino';
import type pg from 'pg';
import { recordEvent } from '../events/events.js';
import type { DispatchContext } from '../queue/dispatcher.js';
import { escapeHtml } from './html.js';

/** Bot API methods that put something in front of the user. */
const REPLY_METHODS = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendInvoice',
  'editMessageText',
  'editMessageReplyMarkup',
  'answerCallbackQuery',
  'answerPreCheckoutQuery',
]);

export interface TelegramBotOptions {
  token: string;
  apiRoot: string;
  pool: pg.Pool;
  log: Logger;
}

export interface TelegramBot {
  bot: Bot;
  /** Runs one stored update through the handlers; rejects when a handler failed. */
  handle(update: unknown, context: DispatchContext): Promise<void>;
  /** getMe, once; until it succeeds, updates wait in the queue. */
  ready(): Promise<void>;
}

export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { pool, log } = options;
  const current = new AsyncLocalStorage<DispatchContext>();
  const bot = new Bot(options.token, { client: { apiRoot: options.apiRoot } });

  bot.api.config.use(async (prev, method, payload, signal) => {
    const context = current.getStore();
    if (!context || !REPLY_METHODS.has(method)) return prev(method, payload, signal);
    const base = { cid: context.cid, updateId: context.updateId, chatId: context.chatId };
    try {
      const response = await prev(method, payload, signal);
      if (response.ok) await recordEvent(pool, log, { ...base, event: 'REPLY_SENT', level: 'info', data: { method } });
      else await recordEvent(pool, log, { ...base, event: 'REPLY_FAILED', level: 'error', data: { method, error_code: response.error_code, description: response.description } });
      return response;
    } catch (error) {
      await recordEvent(pool, log, { ...base, event: 'REPLY_FAILED', level: 'error', data: { method, description: error instanceof Error ? error.message : String(error) } });
      throw error;
    }
  });

  bot.command('start', async (ctx) => {
    await ctx.reply(
      [
        `Hello, <b>${escapeHtml(displayName(ctx))}</b>!`,
        'I turn a short description into an image.',
        'Send /help to see what I can do.',
      ].join('\n'),
      { parse_mode: 'HTML' },
    );
  });

  bot.command('help', async (ctx) => {
    await ctx.reply(
      ['<b>Commands</b>', '/start: the welcome message', '/help: this list'].join('\n'),
      { parse_mode: 'HTML' },
    );
  });

  let initialised: Promise<void> | null = null;
  return {
    bot,
    ready() {
      initialised ??= bot.init().catch((error: unknown) => {
        initialised = null;
        throw error;
      });
      return initialised;
    },
    handle(update, context) {
      return current.run(context, () => bot.handleUpdate(update as Parameters<Bot['handleUpdate']>[0]));
    },
  };
}

function displayName(ctx: Context): string {
  const from = ctx.from;
  if (!from) return 'there';
  return [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username || 'there';
}
