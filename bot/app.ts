/**
 * Wires the bot together and owns its lifecycle: database (embedded when no DATABASE_URL),
 * migrations, the HTTP server, the leader lock, the update processor and the job runner. Only the ACTIVE instance
 * processes and registers the webhook; every instance stores updates and answers /health.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { runMigrations } from 'graphile-worker';
import type { Logger } from 'pino';
import type { BotConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { applyMigrations, readMigrations } from './db/migrate.js';
import { DatabaseMonitor } from './db/monitor.js';
import { createPool, describeDatabaseUrl } from './db/pool.js';
import { buildServer } from './http/server.js';
import { LeaderLock } from './lock/leader.js';
import { BotMetrics } from './metrics.js';
import { KieClient } from './generation/kie.js';
import { loadModelRegistry } from './generation/models.js';
import { GenerationService } from './generation/service.js';
import { JobRunner } from './queue/job-runner.js';
import { UpdateProcessor } from './queue/processor.js';
import { createTelegramBot } from './telegram/bot.js';

export interface RunningBot {
  /** The base URL the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Graceful stop: stop accepting, finish in-flight work until the deadline, release the lock, close pools. */
  stop(reason: string): Promise<void>;
}

/** How long a graceful stop waits for in-flight updates (Render allows 30 s before SIGKILL). */
const SHUTDOWN_DEADLINE_MS = 10_000;

export async function startBot(config: BotConfig, log: Logger): Promise<RunningBot> {
  const startedAt = Date.now();
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => log.warn({ err: error }, 'cleanup step failed'));
  };

  try {
    // Files the operator edits are checked before anything starts: a bad registry refuses the start.
    const models = loadModelRegistry(config.modelsFile);
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: config.pgDataDir, log });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
      log.info({ dataDir: config.pgDataDir, port: embedded.port }, 'no DATABASE_URL: started the embedded PostgreSQL');
    }
    log.info({ database: describeDatabaseUrl(databaseUrl), instanceId }, 'connecting to PostgreSQL');

    const pool = createPool(databaseUrl, `trt-bot:${instanceId}`, log, config.workers * 2 + 6);
    cleanups.push(() => pool.end());

    const migrationFiles = readMigrations(config.migrationsDir);
    const migrated = await applyMigrations(pool, config.migrationsDir, {
      lockKey: config.lockKey,
      log,
      whileLocked: () => runMigrations({ pgPool: pool }),
    });
    log.info({ applied: migrated.applied, alreadyApplied: migrated.alreadyApplied.length }, 'migrations up to date');

    const database = new DatabaseMonitor(pool, migrationFiles, log);
    const metrics = new BotMetrics(() => database.current().depth);
    await database.start();
    cleanups.push(async () => database.stop());

    const generation = new GenerationService({
      pool,
      log,
      kie: config.kieApiKey ? new KieClient({ apiRoot: config.kieApiRoot, apiKey: config.kieApiKey }) : null,
      models,
      publicUrl: config.publicUrl,
      callbackSecret: config.webhookSecret,
      deadlineS: config.generationDeadlineS,
      pollIntervalS: config.generationPollIntervalS,
    });
    const telegram = createTelegramBot({ token: config.telegramToken, apiRoot: config.telegramApiRoot, pool, log, models, generation });
    // currentEpoch is called only once work runs, which is after the lock below exists and made us ACTIVE.
    const processor = new UpdateProcessor({
      pool,
      lockKey: config.lockKey,
      workers: config.workers,
      log,
      metrics,
      handle: (update, context) => telegram.handle(update, context),
      prepare: () => telegram.ready(),
      currentEpoch: () => lock.epoch,
    });
    const jobs = new JobRunner({ pool, workers: config.workers, log, tasks: generation.tasks(), currentEpoch: () => lock.epoch });

    const lock = new LeaderLock({
      connectionString: databaseUrl,
      lockKey: config.lockKey,
      instanceId,
      heartbeatIntervalS: config.heartbeatIntervalS,
      staleHeartbeatS: config.staleHeartbeatS,
      staleIdleS: config.staleIdleS,
      log,
      onActive: async (epoch) => {
        metrics.active.set(1);
        metrics.epoch.set(epoch);
        log.info({ epoch, instanceId }, 'ACTIVE: this instance processes updates');
        processor.start(epoch);
        await jobs.start(epoch);
        if (config.publicUrl) await registerWebhook(config, telegram.bot.api, log);
      },
      onPassive: (reason) => {
        metrics.active.set(0);
        metrics.epoch.set(0);
        processor.halt(reason);
        jobs.halt(reason);
        log.info({ reason, instanceId }, 'PASSIVE: storing updates, not processing them');
      },
    });

    const server = buildServer({
      config,
      log,
      pool,
      databaseUrl,
      metrics,
      database,
      migrationFiles,
      lock: () => lock.facts(),
      startedAt,
      generation,
      onStored: () => processor.wake(),
      answerAsPassive: async (query, flow) => {
        await telegram.within(flow, () =>
          query.kind === 'callback_query'
            ? telegram.bot.api.answerCallbackQuery(query.id, { text: query.notice })
            : telegram.bot.api.answerPreCheckoutQuery(query.id, false, { error_message: query.notice }),
        );
      },
    });
    let serverClosed: Promise<void> | null = null;
    const closeServer = () => (serverClosed ??= server.close());
    cleanups.push(closeServer);
    await server.listen({ host: config.host, port: config.port });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

    await lock.start();
    log.info({ url, version: config.version, state: lock.state }, 'trt-bot started');

    let stopping: Promise<void> | null = null;
    return {
      url,
      stop(reason) {
        stopping ??= (async () => {
          log.info({ reason }, 'stopping: no new requests, finishing in-flight work');
          // Stop accepting first: the load balancer sends new updates to the other instance.
          await closeServer();
          await Promise.all([processor.stop(SHUTDOWN_DEADLINE_MS), jobs.stop(SHUTDOWN_DEADLINE_MS)]);
          await lock.stop();
          await cleanUp();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function registerWebhook(config: BotConfig, api: ReturnType<typeof createTelegramBot>['bot']['api'], log: Logger): Promise<void> {
  const url = `${config.publicUrl}/webhook`;
  try {
    await api.setWebhook(url, { secret_token: config.webhookSecret, allowed_updates: ['message', 'callback_query', 'pre_checkout_query'] });
    log.info({ url }, 'webhook registered with Telegram');
  } catch (error) {
    log.error({ err: error, url }, 'setWebhook failed; Telegram keeps the previous webhook');
  }
}
