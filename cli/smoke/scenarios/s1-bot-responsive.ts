/**
 * S1: a synthetic /start from the smoke chat is answered 200 and the bot replies: a REPLY_SENT
 * event with a send method for that update_id within `reply_within_ms`. With TELEGRAM_BOT_TOKEN
 * set it also reads getWebhookInfo (read-only): where Telegram delivers, how much is waiting
 * and Telegram's last delivery error, the first things to look at when a bot stops answering.
 */
import type { AppEvent } from '../../../bot/events/events.js';
import { cut, pollBound, round, timeline, type SmokeContext, type Evidence } from '../context.js';
import { HttpFailure } from '../http.js';
import { fail, pass, type Scenario } from '../scenario.js';

const SEND_METHOD = /^(send[A-Z]\w*|copyMessage|forwardMessage)$/;
/** Time allowed past `reply_within_ms` to see an event the service recorded in time. */
const OBSERVATION_GRACE_MS = 500;

export const s1BotResponsive: Scenario = {
  id: 'S1',
  title: 'bot responsive',
  needs: ['chat-id', 'webhook-secret', 'admin-secret'],
  plan: (settings) => [
    { method: 'POST', target: 'url', path: '/webhook', times: 1, note: `a synthetic /start from chat ${settings.chatId}` },
    { method: 'GET', target: 'url', path: '/admin/events?update_id=…', times: pollBound(settings.thresholds.S1.replyWithinMs + OBSERVATION_GRACE_MS), note: 'poll for REPLY_SENT' },
    ...(settings.telegram.token ? [{ method: 'GET' as const, target: 'telegram' as const, path: '/bot<token>/getWebhookInfo', times: 1, note: 'read only' }] : []),
  ],
  async run(context) {
    const withinMs = context.settings.thresholds.S1.replyWithinMs;
    const webhookInfo = await readWebhookInfo(context);
    const info: Evidence = webhookInfo ? { webhook_info: webhookInfo } : {};
    const update = context.updates.text('/start');
    const updateId = update.update_id as number;
    const posted = await context.postUpdate('url', update);
    if (posted.status !== 200) return fail(`POST /webhook answered ${posted.status} to a synthetic /start, expected 200`, { update_id: updateId, status: posted.status, body: cut(posted.text), ...info });
    const seen = await context.pollEvents('url', { updateId }, (events) => events.some((event) => isReply(event) || event.event === 'REPLY_FAILED' || event.event === 'DISPATCH_FAIL'), withinMs + OBSERVATION_GRACE_MS);
    const events = seen.events;
    const evidence: Evidence = { update_id: updateId, webhook_ms: round(posted.ms), observed_after_ms: round(posted.ms + seen.ms), polls: seen.polls, within_ms: withinMs, events: timeline(events), ...info };
    const reply = events.find(isReply);
    if (!reply) {
      const failed = events.find((event) => event.event === 'REPLY_FAILED' || event.event === 'DISPATCH_FAIL');
      if (failed) return fail(`the reply to /start failed: ${failed.event} ${describeData(failed)}${chatHint(failed)}`, evidence);
      const stored = events.some((event) => event.event === 'UPDATE_RECEIVED');
      return fail(`no REPLY_SENT for /start within ${withinMs} ms${stored ? ' (the update was stored but no reply was recorded)' : ' (not even an UPDATE_RECEIVED event)'}${webhookHint(webhookInfo)}`, evidence);
    }
    const received = events.find((event) => event.event === 'UPDATE_RECEIVED');
    const replyMs = received ? Date.parse(reply.ts) - Date.parse(received.ts) : posted.ms + seen.ms;
    evidence.reply_ms = round(replyMs);
    if (replyMs > withinMs) return fail(`the reply (${String(reply.data.method)}) came ${round(replyMs)} ms after the update, over ${withinMs} ms`, evidence);
    return pass(`/start answered 200 in ${round(posted.ms)} ms; ${String(reply.data.method)} ${round(replyMs)} ms later (limit ${withinMs} ms)`, evidence);
  },
};

function isReply(event: AppEvent): boolean {
  return event.event === 'REPLY_SENT' && typeof event.data?.method === 'string' && SEND_METHOD.test(event.data.method);
}

function describeData(event: AppEvent): string {
  return cut(JSON.stringify(event.data ?? {}), 300);
}

function chatHint(event: AppEvent): string {
  return /chat not found|bot was blocked/i.test(JSON.stringify(event.data ?? {})) ? ` — smoke.chat_id must be a chat that has started the bot` : '';
}

function webhookHint(info: Record<string, unknown> | null): string {
  if (!info) return '';
  const error = typeof info.last_error_message === 'string' ? `; Telegram's last delivery error: "${info.last_error_message}"` : '';
  return `${error}${typeof info.pending_update_count === 'number' ? `; ${info.pending_update_count} update(s) waiting at Telegram` : ''}`;
}

async function readWebhookInfo(context: SmokeContext): Promise<Record<string, unknown> | null> {
  const { token, apiRoot } = context.settings.telegram;
  if (!token) return null;
  try {
    const response = await context.http.send({ method: 'GET', url: `${apiRoot}/bot${token}/getWebhookInfo`, retries: 1 });
    const body = response.json as { ok?: boolean; result?: Record<string, unknown>; description?: string } | undefined;
    if (response.status !== 200 || !body?.ok || !body.result) return { error: `getWebhookInfo answered ${response.status}: ${body?.description ?? cut(response.text, 200)}` };
    const { url, pending_update_count, last_error_message, last_error_date, max_connections } = body.result;
    return {
      url,
      pending_update_count,
      ...(last_error_message === undefined ? {} : { last_error_message }),
      ...(typeof last_error_date === 'number' ? { last_error_at: new Date(last_error_date * 1000).toISOString() } : {}),
      ...(max_connections === undefined ? {} : { max_connections }),
    };
  } catch (error) {
    if (error instanceof HttpFailure) return { error: `getWebhookInfo: ${error.message}` };
    throw error;
  }
}
