/**
 * The grammY bot: handlers for stored updates, which the update processor feeds through
 * `bot.handleUpdate` (grammY's own webhookCallback answers Telegram only after the handlers ran,
 * so the fast-acknowledging webhook is ours). Every Bot API call made for an update — or for a
 * generation, later — is recorded as REPLY_SENT or REPLY_FAILED under that flow's cid.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Bot } from 'grammy';
import type { Logger } from 'pino';
import type pg from 'pg';
import { recordEvent } from '../events/events.js';
import type { ModelRegistry } from '../generation/models.js';
import type { GenerationRow, GenerationService } from '../generation/service.js';
import type { FlowContext, HandlerDeps } from './flow.js';
import { registerGenerateHandlers } from './handlers/generate.js';
import { registerMenuHandlers } from './handlers/menu.js';
import { registerPaymentHandlers } from './handlers/payments.js';
import { texts } from './texts.js';

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
  models: ModelRegistry;
  generation: GenerationService;
}

export interface TelegramBot {
  bot: Bot;
  /** Runs one stored update through the handlers; rejects when a handler failed. */
  handle(update: unknown, context: FlowContext): Promise<void>;
  /** getMe, once; until it succeeds, updates wait in the queue. */
  ready(): Promise<void>;
  /** Runs `work` with its Bot API calls recorded under `context`. */
  within<T>(context: FlowContext, work: () => Promise<T>): Promise<T>;
}

export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { pool, log } = options;
  const current = new AsyncLocalStorage<FlowContext>();
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

  const flow = (): FlowContext => {
    const context = current.getStore();
    if (!context) throw new Error('a handler ran outside an update flow');
    return context;
  };
  const deps: HandlerDeps = { pool, log, models: options.models, generation: options.generation, flow };

  // Every callback query is answered first (Telegram shows a spinner until then), unless the
  // PASSIVE instance already did so with its "updating" notice.
  bot.on('callback_query', async (ctx, next) => {
    if (!flow().passiveAnswered) await ctx.answerCallbackQuery();
    await next();
  });
  registerMenuHandlers(bot, deps);
  registerPaymentHandlers(bot, deps);
  registerGenerateHandlers(bot, deps);
  bot.on('message', (ctx) => ctx.reply(texts.fallback(), { parse_mode: 'HTML' }));

  options.generation.setNotifier((generation) => current.run(flowOf(generation), () => notify(bot, generation)));

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
    within(context, work) {
      return current.run(context, work);
    },
  };
}

function flowOf(generation: GenerationRow): FlowContext {
  return { cid: generation.cid, updateId: null, chatId: generation.chatId };
}

async function notify(bot: Bot, generation: GenerationRow): Promise<void> {
  if (generation.state === 'succeeded' && generation.resultUrl) {
    await bot.api.sendPhoto(generation.chatId, generation.resultUrl, { caption: texts.caption(generation.prompt), parse_mode: 'HTML' });
  } else if (generation.state === 'failed') {
    await bot.api.sendMessage(generation.chatId, texts.failed(generation.error ?? 'unknown error'), { parse_mode: 'HTML' });
  } else if (generation.state === 'expired') {
    await bot.api.sendMessage(generation.chatId, texts.expired(), { parse_mode: 'HTML' });
  }
}
