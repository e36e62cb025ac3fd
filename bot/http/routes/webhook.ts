/**
 * POST /webhook: Telegram's only door. The secret header is checked before the body is even
 * read; the update is stored durably (deduplicated on update_id, scheduled for processing)
 * before the 200; anything that prevents storing it answers 503 so Telegram retries. Nothing is
 * processed here: a slow handler never makes Telegram wait.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { BotConfig } from '../../config.js';
import { withDeadline } from '../../deadline.js';
import { recordEvent } from '../../events/events.js';
import type { DatabaseMonitor } from '../../db/monitor.js';
import type { BotMetrics } from '../../metrics.js';
import { InboxWriter } from '../../queue/inbox.js';
import { PASSIVE_NOTICE } from '../../telegram/texts.js';
import { checkUpdate } from '../../telegram/update.js';
import { secretMatches } from '../auth.js';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface WebhookDeps {
  config: BotConfig;
  pool: pg.Pool;
  database: DatabaseMonitor;
  metrics: BotMetrics;
  log: Logger;
  /** An update was stored: the processor looks at once instead of at its next poll. */
  onStored: () => void;
  /** Whether this instance processes updates (ACTIVE) right now. */
  isActive: () => boolean;
  /** Answers a callback query from the request path, recorded under the update's cid. */
  answerCallbackQuery: (callbackQueryId: string, text: string, flow: { cid: string; updateId: number; chatId: number | null }) => Promise<void>;
}

/** Telegram shows a spinner until a callback query is answered: the PASSIVE answers within this. */
const PASSIVE_ANSWER_TIMEOUT_MS = 800;

export function registerWebhookRoute(app: FastifyInstance, deps: WebhookDeps): void {
  const { config, pool, database, metrics, log } = deps;
  const inbox = new InboxWriter(pool);

  app.post(
    '/webhook',
    {
      bodyLimit: config.bodyLimitBytes,
      onRequest: async (request, reply) => {
        const presented = request.headers[SECRET_HEADER];
        if (!secretMatches(typeof presented === 'string' ? presented : undefined, config.webhookSecret)) {
          return reply.code(401).send({ ok: false, error: 'wrong or missing X-Telegram-Bot-Api-Secret-Token' });
        }
      },
      onResponse: async (_request, reply) => {
        metrics.webhookAnswered(reply.statusCode, reply.elapsedTime / 1000);
      },
    },
    async (request, reply) => {
      const cid = newCid();
      const check = checkUpdate(request.body);
      try {
        if (!check.ok) {
          // Answered 200: Telegram would re-send a rejected update forever and hold back the chat.
          await recordEvent(pool, log, { event: 'UPDATE_INVALID', level: 'warn', cid, updateId: check.updateId, chatId: null, data: { reason: check.reason } });
          metrics.updateSeen('invalid');
          return reply.code(200).send({ ok: true, cid, status: 'invalid' });
        }
        const depth = database.current().depth;
        if (depth >= config.queueCapacity) {
          metrics.updateSeen('rejected');
          log.warn({ event: 'UPDATE_REJECTED', cid, update_id: check.updateId, depth, capacity: config.queueCapacity }, 'UPDATE_REJECTED: backpressure, the backlog is over queue.capacity; Telegram will retry');
          return reply.code(503).header('retry-after', '5').send({ ok: false, error: 'backlog over capacity, retry later' });
        }
        // A standby cannot act on a button press, but the user must not stare at a spinner: it
        // answers with the notice now, and the ACTIVE does the work from the stored update.
        const callbackQueryId = !deps.isActive() && check.kind === 'callback_query' ? callbackQueryIdOf(request.body) : null;
        const outcome = await inbox.store({ updateId: check.updateId, chatId: check.chatId, cid, payload: request.body, kind: check.kind, passiveAnswered: callbackQueryId !== null });
        if (outcome.stored) {
          database.noteStored();
          metrics.updateSeen('received');
          deps.onStored();
          if (callbackQueryId !== null) await answerAsPassive(deps, callbackQueryId, { cid, updateId: check.updateId, chatId: check.chatId });
          return reply.code(200).send({ ok: true, cid, status: 'stored' });
        }
        metrics.updateSeen('duplicate');
        return reply.code(200).send({ ok: true, cid: outcome.cid, status: 'duplicate' });
      } catch (error) {
        database.noteUnreachable();
        log.error({ err: error, cid, update_id: check.updateId }, 'could not store the update; answered 503 so Telegram retries');
        return reply.code(503).header('retry-after', '1').send({ ok: false, error: 'storage unavailable, retry later' });
      }
    },
  );
}

async function answerAsPassive(deps: WebhookDeps, callbackQueryId: string, flow: { cid: string; updateId: number; chatId: number | null }): Promise<void> {
  const { pool, log } = deps;
  try {
    await withDeadline(deps.answerCallbackQuery(callbackQueryId, PASSIVE_NOTICE, flow), PASSIVE_ANSWER_TIMEOUT_MS, `no answer from Telegram within ${PASSIVE_ANSWER_TIMEOUT_MS} ms`);
    await recordEvent(pool, log, { event: 'PASSIVE_REJECT', level: 'info', ...flow, data: { kind: 'callback_query', answered: true } });
  } catch (error) {
    // The update is stored: the ACTIVE processes it; only the notice is lost.
    await recordEvent(pool, log, { event: 'PASSIVE_REJECT', level: 'warn', ...flow, data: { kind: 'callback_query', answered: false, error: error instanceof Error ? error.message : String(error) } }).catch(() => undefined);
  }
}

function callbackQueryIdOf(body: unknown): string | null {
  const id = (body as { callback_query?: { id?: unknown } }).callback_query?.id;
  return typeof id === 'string' ? id : null;
}

/** A short correlation id: unique enough across the bot's lifetime, short enough to read in logs. */
export function newCid(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16);
}
