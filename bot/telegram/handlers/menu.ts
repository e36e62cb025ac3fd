/** /start (the menu), /help, /balance, /models. */
import { type Bot, type Context, InlineKeyboard } from 'grammy';
import { balanceOf } from '../../billing/ledger.js';
import type { HandlerDeps } from '../flow.js';
import { texts } from '../texts.js';

export const MENU = { generate: 'menu:generate', models: 'menu:models', balance: 'menu:balance', topup: 'menu:topup', help: 'menu:help' } as const;

export function mainMenu(): InlineKeyboard {
  return new InlineKeyboard()
    .text('🎨 Generate', MENU.generate)
    .text('🧠 Models', MENU.models)
    .row()
    .text('💰 Balance', MENU.balance)
    .text('⭐ Top up', MENU.topup)
    .row()
    .text('❓ Help', MENU.help);
}

export function registerMenuHandlers(bot: Bot, deps: HandlerDeps): void {
  const { pool, models } = deps;
  const showBalance = async (ctx: Context) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    await ctx.reply(texts.balance(await balanceOf(pool, chatId)), { parse_mode: 'HTML' });
  };
  const showModels = (ctx: Context) => ctx.reply(texts.models(models.enabled()), { parse_mode: 'HTML' });
  const showHelp = (ctx: Context) => ctx.reply(texts.help(), { parse_mode: 'HTML' });

  bot.command('start', (ctx) => ctx.reply(texts.welcome(displayName(ctx)), { parse_mode: 'HTML', reply_markup: mainMenu() }));
  bot.command('help', showHelp);
  bot.command('balance', showBalance);
  bot.command('models', showModels);
  bot.callbackQuery(MENU.help, showHelp);
  bot.callbackQuery(MENU.balance, showBalance);
  bot.callbackQuery(MENU.models, showModels);
}

function displayName(ctx: Context): string {
  const from = ctx.from;
  if (!from) return 'there';
  return [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username || 'there';
}
