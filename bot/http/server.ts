/**
 * The HTTP face of the bot: Fastify with the routes of SPEC §8. Fastify's own request logging
 * is off (the webhook runs at hundreds of requests a second); what matters is logged by the
 * routes, through the bot's redacting logger.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { BotConfig } from '../config.js';
import type { MigrationFile } from '../db/migrate.js';
import type { DatabaseMonitor } from '../db/monitor.js';
import type { GenerationService } from '../generation/service.js';
import type { LockFacts } from '../lock/leader.js';
import type { BotMetrics } from '../metrics.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerHealthRoute } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerKieCallbackRoute } from './routes/kie-callback.js';
import { registerWebhookRoute, type WebhookDeps } from './routes/webhook.js';

export interface ServerDeps {
  config: BotConfig;
  log: Logger;
  pool: pg.Pool;
  /** The URL the pool connects to: GET /admin/ops/snapshot checks the database on a connection of its own. */
  databaseUrl: string;
  metrics: BotMetrics;
  database: DatabaseMonitor;
  migrationFiles: MigrationFile[];
  lock: () => LockFacts;
  startedAt: number;
  generation: GenerationService;
  onStored: WebhookDeps['onStored'];
  answerAsPassive: WebhookDeps['answerAsPassive'];
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: true,
  });

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) deps.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message, ...(error.code ? { code: error.code } : {}) });
  });

  registerHealthRoute(app, { config: deps.config, metrics: deps.metrics, startedAt: deps.startedAt, lock: deps.lock, database: () => deps.database.current() });
  registerWebhookRoute(app, { ...deps, isActive: () => deps.lock().state === 'ACTIVE' });
  registerKieCallbackRoute(app, { generation: deps.generation, log: deps.log });
  registerMetricsRoute(app, deps.metrics);
  registerAdminRoutes(app, { config: deps.config, log: deps.log, pool: deps.pool, migrationFiles: deps.migrationFiles, databaseUrl: deps.databaseUrl });
  return app;
}
