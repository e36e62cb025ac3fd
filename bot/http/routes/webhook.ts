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
import { recordEvent } from '../../events/events.js';
import type { DatabaseMonitor } from '../../db/monitor.js';
import type { BotMetrics } from '../../metrics.js';
import { storeUpdate } from '../../queue/inbox.js';
import { checkUpdate } from '../../telegram/update.js';
import { secretMatches } from '../auth.js';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface WebhookDeps {
  config: BotConfig;
  pool: pg.Pool;
  database: DatabaseMonitor;
  metrics: BotMetrics;
  log: Logger;
}

export function registerWebhookRoute(app: FastifyInstance, deps: WebhookDeps): void {
  const { config, pool, database, metrics, log } = deps;

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
        const outcome = await storeUpdate(pool, { updateId: check.updateId, chatId: check.chatId, cid, payload: request.body }, check.kind);
        if (outcome.stored) {
          database.noteStored();
          metrics.updateSeen('received');
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

/** A short correlation id: unique enough across the bot's lifetime, short enough to read in logs. */
export function newCid(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16);
}
