/**
 * Telegram Stars top-up: an invoice in XTR, the pre-checkout answered, and each
 * successful_payment credited exactly once by its telegram_payment_charge_id.
 */
import { type Bot, type Context, InlineKeyboard } from 'grammy';
import { addEntry, balanceOf } from '../../billing/ledger.js';
import { recordEvent } from '../../events/events.js';
import type { HandlerDeps } from '../flow.js';
import { texts } from '../texts.js';
import { MENU } from './menu.js';

/** Credit packages on offer; 1 Star buys 1 credit. */
export const PACKAGES = [10, 50, 100] as const;
const PAYLOAD = /^credits:(\d+)$/;

export function registerPaymentHandlers(bot: Bot, deps: HandlerDeps): void {
  const { pool, log, flow } = deps;

  const offer = async (ctx: Context) => {
    const keyboard = new InlineKeyboard();
    for (const credits of PACKAGES) keyboard.text(`${credits} ⭐`, `topup:${credits}`);
    await ctx.reply(texts.topup(), { parse_mode: 'HTML', reply_markup: keyboard });
  };
  bot.command('topup', offer);
  bot.callbackQuery(MENU.topup, offer);

  bot.callbackQuery(/^topup:(\d+)$/, async (ctx) => {
    const credits = Number(ctx.match[1]);
    if (!(PACKAGES as readonly number[]).includes(credits)) return;
    await ctx.replyWithInvoice(texts.invoiceTitle(credits), texts.invoiceDescription(credits), `credits:${credits}`, 'XTR', [{ label: texts.invoiceTitle(credits), amount: credits }]);
  });

  bot.on('pre_checkout_query', async (ctx) => {
    // Telegram takes one answer: the PASSIVE already refused it and told the user to retry.
    if (flow().passiveAnswered) return;
    const query = ctx.preCheckoutQuery;
    const credits = creditsOf(query.invoice_payload);
    if (query.currency === 'XTR' && credits !== null && credits === query.total_amount) {
      await ctx.answerPreCheckoutQuery(true);
    } else {
      await ctx.answerPreCheckoutQuery(false, { error_message: 'This invoice is not valid any more. Please ask for a new one with /topup.' });
    }
  });

  bot.on('message:successful_payment', async (ctx) => {
    const payment = ctx.message.successful_payment;
    const chatId = ctx.chat.id;
    const { cid, updateId } = flow();
    const credits = creditsOf(payment.invoice_payload);
    if (payment.currency !== 'XTR' || credits === null || credits !== payment.total_amount) {
      log.error({ cid, chatId, currency: payment.currency, total: payment.total_amount }, 'a successful_payment that matches no invoice of ours; not credited, check it by hand');
      return;
    }
    const outcome = await addEntry(pool, { chatId, kind: 'purchase', amount: credits, ref: `stars:${payment.telegram_payment_charge_id}`, cid });
    if (outcome !== 'added') {
      await recordEvent(pool, log, { event: 'PAYMENT_DUPLICATE', level: 'warn', cid, updateId, chatId, data: { charge_id: payment.telegram_payment_charge_id } });
      return;
    }
    const balance = await balanceOf(pool, chatId);
    await recordEvent(pool, log, { event: 'PAYMENT_CREDITED', level: 'info', cid, updateId, chatId, data: { credits, charge_id: payment.telegram_payment_charge_id, balance } });
    await ctx.reply(texts.credited(credits, balance), { parse_mode: 'HTML' });
  });
}

function creditsOf(payload: string): number | null {
  const match = PAYLOAD.exec(payload);
  const credits = match ? Number(match[1]) : NaN;
  return (PACKAGES as readonly number[]).includes(credits) ? credits : null;
}
