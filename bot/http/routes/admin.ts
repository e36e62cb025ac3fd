/**
 * The admin API (SPEC §8), guarded by `Authorization: Bearer $ADMIN_SECRET`: the events journal
 * and the credits ledger that `trt smoke` proves behaviour with, credit grants, and a live
 * database check.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { BotConfig } from '../../config.js';
import { migrationStatus, type MigrationFile } from '../../db/migrate.js';
import { addEntry, balanceOf, creditStatement } from '../../billing/ledger.js';
import { queryEvents, recordEvent } from '../../events/events.js';
import { bearerToken, secretMatches } from '../auth.js';
import { registerOpsSnapshotRoute } from './ops-snapshot.js';

export interface AdminDeps {
  config: BotConfig;
  log: Logger;
  pool: pg.Pool;
  migrationFiles: MigrationFile[];
  /** For GET /admin/ops/snapshot, which checks the database on its own read-only connection. */
  databaseUrl: string;
}

interface EventsQuery {
  update_id?: number;
  cid?: string;
  since?: string;
  limit?: number;
}

interface CreditsQuery {
  chat_id: number;
  limit: number;
}

const DEFAULT_EVENT_LIMIT = 100;
const DEFAULT_CREDIT_ENTRIES = 50;

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      if (!secretMatches(bearerToken(request.headers.authorization), deps.config.adminSecret)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin routes need Authorization: Bearer <ADMIN_SECRET>' });
      }
    });

    registerOpsSnapshotRoute(admin, { config: deps.config, log: deps.log, databaseUrl: deps.databaseUrl, migrationFiles: deps.migrationFiles });

    admin.get<{ Querystring: EventsQuery }>(
      '/admin/events',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              update_id: { type: 'integer', minimum: 0 },
              cid: { type: 'string', minLength: 1, maxLength: 64 },
              since: { type: 'string', format: 'date-time' },
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          },
        },
      },
      async (request, reply) => {
        const { update_id: updateId, cid, since, limit } = request.query;
        try {
          const events = await queryEvents(deps.pool, {
            ...(updateId === undefined ? {} : { updateId }),
            ...(cid === undefined ? {} : { cid }),
            ...(since === undefined ? {} : { since: new Date(since) }),
            limit: limit ?? DEFAULT_EVENT_LIMIT,
          });
          return { events };
        } catch (error) {
          deps.log.error({ err: error }, 'events query failed');
          return reply.code(503).send({ error: 'the database is unavailable; retry later' });
        }
      },
    );

    admin.post<{ Body: { chat_id: number; amount: number; ref: string } }>(
      '/admin/credits',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['chat_id', 'amount', 'ref'],
            properties: {
              chat_id: { type: 'integer' },
              amount: { type: 'integer', minimum: 1, maximum: 1_000_000 },
              ref: { type: 'string', minLength: 1, maxLength: 200 },
            },
          },
        },
      },
      async (request, reply) => {
        const { chat_id: chatId, amount, ref } = request.body;
        try {
          const outcome = await addEntry(deps.pool, { chatId, kind: 'grant', amount, ref: `admin:${ref}`, cid: null });
          const balance = await balanceOf(deps.pool, chatId);
          if (outcome === 'added') await recordEvent(deps.pool, deps.log, { event: 'CREDITS_GRANTED', level: 'info', cid: null, updateId: null, chatId, data: { amount, ref, balance } });
          return { applied: outcome === 'added', balance };
        } catch (error) {
          deps.log.error({ err: error }, 'credit grant failed');
          return reply.code(503).send({ error: 'the database is unavailable; retry later' });
        }
      },
    );

    admin.get<{ Querystring: CreditsQuery }>(
      '/admin/credits',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['chat_id'],
            properties: {
              chat_id: { type: 'integer' },
              limit: { type: 'integer', minimum: 1, maximum: 200, default: DEFAULT_CREDIT_ENTRIES },
            },
          },
        },
      },
      async (request, reply) => {
        const { chat_id: chatId, limit } = request.query;
        try {
          const { balance, entries } = await creditStatement(deps.pool, chatId, limit);
          return { chat_id: chatId, balance, entries };
        } catch (error) {
          deps.log.error({ err: error }, 'credits query failed');
          return reply.code(503).send({ error: 'the database is unavailable; retry later' });
        }
      },
    );

    admin.get('/admin/db/health', async () => {
      const started = performance.now();
      try {
        await deps.pool.query('SELECT 1');
        const latencyMs = Math.round((performance.now() - started) * 100) / 100;
        const status = await migrationStatus(deps.pool, deps.migrationFiles);
        return {
          connected: true,
          schema_ready: status.pending.length === 0 && status.changed.length === 0,
          latency_ms: latencyMs,
          migrations: { applied: status.applied, pending: status.pending },
        };
      } catch {
        return {
          connected: false,
          schema_ready: false,
          latency_ms: Math.round((performance.now() - started) * 100) / 100,
          migrations: { applied: [], pending: deps.migrationFiles.map((file) => file.name) },
        };
      }
    });
  });
}
