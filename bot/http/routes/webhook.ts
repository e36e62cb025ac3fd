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
import { PASSIVE_NOTICE, PASSIVE_PAYMENT_NOTICE } from '../../telegram/texts.js';
import { checkUpdate } from '../../telegram/update.js';
import { SECRET_HEADER, secretMatches } from '../auth.js';

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
  /**
   * Answers a query from the request path with its notice (a callback query with the notice as
   * its text, a pre-checkout query with ok=false and the notice as error_message), recorded under
   * the update's flow. Rejects when Telegram refused the answer or could not be reached.
   */
  answerAsPassive: (query: PassiveQuery, flow: PassiveFlow) => Promise<void>;
}

/** A query a PASSIVE instance answers itself instead of leaving it to the ACTIVE. */
export interface PassiveQuery {
  kind: 'callback_query' | 'pre_checkout_query';
  id: string;
  /** What the user is shown. */
  notice: string;
}

export interface PassiveFlow {
  cid: string;
  updateId: number;
  chatId: number | null;
}

/** Telegram shows a spinner or a pending checkout until the query is answered: the PASSIVE answers within this. */
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
        // answers with the notice now, and the ACTIVE does the work from the stored update. A
        // payment it refuses at once: Telegram cancels a pre-checkout query left unanswered for
        // 10 s, and a standby cannot promise the ACTIVE gets to it in time; "try again in a
        // minute" beats a checkout that hangs and then fails.
        const passiveQuery = deps.isActive() ? null : passiveQueryOf(check.kind, request.body);
        const outcome = await inbox.store({ updateId: check.updateId, chatId: check.chatId, cid, payload: request.body, kind: check.kind, passiveAnswered: passiveQuery !== null });
        if (outcome.stored) {
          database.noteStored();
          metrics.updateSeen('received');
          deps.onStored();
          if (passiveQuery !== null) await answerAsPassive(deps, passiveQuery, { cid, updateId: check.updateId, chatId: check.chatId });
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

async function answerAsPassive(deps: WebhookDeps, query: PassiveQuery, flow: PassiveFlow): Promise<void> {
  const { pool, log } = deps;
  const started = performance.now();
  let failure: AnswerFailure | null = null;
  try {
    await withDeadline(deps.answerAsPassive(query, flow), PASSIVE_ANSWER_TIMEOUT_MS, `no answer from Telegram within ${PASSIVE_ANSWER_TIMEOUT_MS} ms`);
  } catch (error) {
    // The update is stored: the ACTIVE processes it; only the notice is lost.
    failure = describeFailure(error);
  }
  const elapsedMs = Math.round((performance.now() - started) * 10) / 10;
  const data = { kind: query.kind, answered: failure === null, elapsed_ms: elapsedMs, notice: query.notice, ...failure };
  await recordEvent(pool, log, { event: 'PASSIVE_REJECT', level: failure === null ? 'info' : 'warn', ...flow, data }).catch((error: unknown) => {
    log.warn({ err: error, cid: flow.cid, update_id: flow.updateId }, 'PASSIVE_REJECT could not be stored; its log line is the only record');
  });
}

/** Why a PASSIVE answer did not get through, as PASSIVE_REJECT records it. */
interface AnswerFailure {
  error: string;
  /** Only when Telegram itself refused the answer. */
  telegram_error_code?: number;
}

/**
 * Telegram's refusal (grammY's GrammyError carries error_code and description) keeps its code,
 * so a refused answer — e.g. 400 "query is too old" for an id Telegram never issued — is told
 * apart from one that never reached Telegram (timeout, network).
 */
function describeFailure(error: unknown): AnswerFailure {
  const refusal = error as { error_code?: unknown; description?: unknown };
  if (typeof refusal === 'object' && refusal !== null && typeof refusal.error_code === 'number' && typeof refusal.description === 'string') {
    return { error: refusal.description, telegram_error_code: refusal.error_code };
  }
  return { error: error instanceof Error ? error.message : String(error) };
}

function passiveQueryOf(kind: string, body: unknown): PassiveQuery | null {
  if (kind !== 'callback_query' && kind !== 'pre_checkout_query') return null;
  const id = (body as Record<string, { id?: unknown } | undefined>)[kind]?.id;
  if (typeof id !== 'string' || id.length === 0) return null;
  return { kind, id, notice: kind === 'callback_query' ? PASSIVE_NOTICE : PASSIVE_PAYMENT_NOTICE };
}

/** A short correlation id: unique enough across the bot's lifetime, short enough to read in logs. */
export function newCid(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16);
}
