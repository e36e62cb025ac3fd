/** The text-to-image flow: pick a model, send a description, confirm the price. */
import { type Bot, InlineKeyboard } from 'grammy';
import { balanceOf } from '../../billing/ledger.js';
import { recordEvent } from '../../events/events.js';
import type { HandlerDeps } from '../flow.js';
import { readChatState, takeConfirmed, writeChatState } from '../chat-state.js';
import { texts } from '../texts.js';
import { MENU } from './menu.js';

const CONFIRM = 'gen:confirm';
const CANCEL = 'gen:cancel';
const MODEL_PREFIX = 'model:';
const MAX_PROMPT = 1000;

export function registerGenerateHandlers(bot: Bot, deps: HandlerDeps): void {
  const { pool, models, generation, flow, log } = deps;

  bot.callbackQuery(MENU.generate, async (ctx) => {
    const keyboard = new InlineKeyboard();
    for (const model of models.enabled()) keyboard.text(`${model.title} · ${model.priceCredits}`, `${MODEL_PREFIX}${model.id}`).row();
    await ctx.reply(models.enabled().length > 0 ? texts.pickModel() : texts.models([]), { parse_mode: 'HTML', reply_markup: keyboard });
  });

  bot.callbackQuery(/^model:(.+)$/, async (ctx) => {
    const model = models.get(ctx.match[1]!);
    if (!model || !model.enabled) {
      await ctx.reply(texts.unknownModel(), { parse_mode: 'HTML' });
      return;
    }
    await writeChatState(pool, ctx.chat!.id, { modelId: model.id, prompt: null, awaiting: 'prompt' });
    await ctx.reply(texts.askPrompt(model), { parse_mode: 'HTML' });
  });

  bot.on('message:text', async (ctx, next) => {
    if (ctx.message.text.startsWith('/')) return next();
    const state = await readChatState(pool, ctx.chat.id);
    const model = state.modelId ? models.get(state.modelId) : undefined;
    if (state.awaiting !== 'prompt' || !model) return next();
    const prompt = ctx.message.text.trim();
    if (prompt.length > MAX_PROMPT) {
      await ctx.reply(texts.promptTooLong(MAX_PROMPT), { parse_mode: 'HTML' });
      return;
    }
    await writeChatState(pool, ctx.chat.id, { modelId: model.id, prompt, awaiting: 'confirm' });
    const keyboard = new InlineKeyboard().text('✅ Confirm', CONFIRM).text('✖ Cancel', CANCEL);
    await ctx.reply(texts.confirm(model, prompt, await balanceOf(pool, ctx.chat.id)), { parse_mode: 'HTML', reply_markup: keyboard });
  });

  bot.callbackQuery(CANCEL, async (ctx) => {
    await writeChatState(pool, ctx.chat!.id, { modelId: null, prompt: null, awaiting: null });
    await ctx.reply(texts.cancelled(), { parse_mode: 'HTML' });
  });

  bot.callbackQuery(CONFIRM, async (ctx) => {
    const chatId = ctx.chat!.id;
    const { cid, updateId } = flow();
    const confirmed = await takeConfirmed(pool, chatId);
    if (!confirmed) {
      await ctx.reply(texts.nothingToConfirm(), { parse_mode: 'HTML' });
      return;
    }
    const outcome = await generation.request({ chatId, cid, modelId: confirmed.modelId, prompt: confirmed.prompt, requestRef: `update:${updateId}` });
    switch (outcome.outcome) {
      case 'started':
        await ctx.reply(texts.started(outcome.price, outcome.balance), { parse_mode: 'HTML' });
        return;
      case 'insufficient':
        await recordEvent(pool, log, { event: 'GENERATION_REFUSED', level: 'info', cid, updateId, chatId, data: { reason: 'insufficient', price: outcome.price, balance: outcome.balance } });
        await ctx.reply(texts.insufficient(outcome.price, outcome.balance), { parse_mode: 'HTML' });
        return;
      case 'unavailable':
        await recordEvent(pool, log, { event: 'GENERATION_REFUSED', level: 'warn', cid, updateId, chatId, data: { reason: outcome.reason } });
        await ctx.reply(texts.unavailable(outcome.reason), { parse_mode: 'HTML' });
        return;
      case 'duplicate':
        return;
    }
  });
}
