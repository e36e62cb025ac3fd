/**
 * Every message the bot sends, in one place. Anything that comes from a user or the outside
 * (names, prompts, model titles, error texts) goes through escapeHtml: the messages use
 * parse_mode HTML, and an unescaped `<` makes Telegram refuse the whole message.
 */
import type { Model } from '../generation/models.js';
import { escapeHtml } from './html.js';

export const PASSIVE_NOTICE = 'The bot is being updated. Your request is queued and will be handled in a moment.';
/** Shown by Telegram in the checkout (plain text, no HTML) when a PASSIVE instance refuses a payment. */
export const PASSIVE_PAYMENT_NOTICE = 'The bot is being updated. No payment was taken. Please try again in a minute.';

export const texts = {
  welcome: (name: string) =>
    [`Hello, <b>${escapeHtml(name)}</b>!`, 'I turn a short description into an image.', 'Pick what you want to do:'].join('\n'),
  help: () =>
    [
      '<b>Commands</b>',
      '/start: the menu',
      '/models: the models and their prices',
      '/balance: your credits',
      '/topup: buy credits with Telegram Stars',
      '/help: this list',
      '',
      'To make an image: Generate → pick a model → send a description → confirm the price.',
    ].join('\n'),
  balance: (balance: number) => `Your balance: <b>${balance}</b> credit${balance === 1 ? '' : 's'}.`,
  models: (models: readonly Model[]) =>
    models.length === 0
      ? 'No model is available right now.'
      : ['<b>Models</b>', ...models.map((model) => `• <b>${escapeHtml(model.title)}</b>: ${model.priceCredits} credit${model.priceCredits === 1 ? '' : 's'}${model.description ? ` — ${escapeHtml(model.description)}` : ''}`)].join('\n'),
  pickModel: () => 'Pick a model:',
  askPrompt: (model: Model) => `<b>${escapeHtml(model.title)}</b>: send a description of the image you want.`,
  confirm: (model: Model, prompt: string, balance: number) =>
    [
      `Generate with <b>${escapeHtml(model.title)}</b> for <b>${model.priceCredits}</b> credit${model.priceCredits === 1 ? '' : 's'}?`,
      `Prompt: <i>${escapeHtml(prompt)}</i>`,
      `Your balance: ${balance}.`,
    ].join('\n'),
  started: (price: number, balance: number) => `Generating… ${price} credit${price === 1 ? ' is' : 's are'} reserved (balance now ${balance}). I will send the picture when it is ready.`,
  insufficient: (price: number, balance: number) => `Not enough credits: this costs ${price}, your balance is ${balance}. Use /topup to buy more.`,
  unavailable: (reason: string) => `Sorry, this cannot be generated right now: ${escapeHtml(reason)}.`,
  nothingToConfirm: () => 'There is nothing to confirm. Start again with Generate.',
  cancelled: () => 'Cancelled. Nothing was charged.',
  unknownModel: () => 'That model is not available any more. Pick another one.',
  promptTooLong: (max: number) => `That description is too long: keep it under ${max} characters.`,
  failed: (error: string) => `The generation failed: ${escapeHtml(error)}. Your credits were returned.`,
  expired: () => 'The generation took too long and was stopped. Your credits were returned.',
  caption: (prompt: string) => escapeHtml(prompt.length > 900 ? `${prompt.slice(0, 900)}…` : prompt),
  topup: () => 'Buy credits with Telegram Stars (1 ⭐ = 1 credit):',
  invoiceTitle: (credits: number) => `${credits} credits`,
  invoiceDescription: (credits: number) => `${credits} credits for image generation in this bot.`,
  credited: (credits: number, balance: number) => `Payment received: ${credits} credits added. Your balance: <b>${balance}</b>.`,
  fallback: () => 'Send /start for the menu or /help for the commands.',
};
