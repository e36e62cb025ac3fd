/**
 * GET /health (SPEC §8, schemas/health.schema.json): read from memory only — the lock facts and
 * the database monitor's last snapshot — so it answers within its SLA with the database down.
 * Every number is a JS number here, so JSON.stringify writes JSON numbers.
 */
import type { FastifyInstance } from 'fastify';
import type { BotConfig } from '../../config.js';
import type { DatabaseSnapshot } from '../../db/monitor.js';
import type { LockFacts } from '../../lock/leader.js';
import type { BotMetrics } from '../../metrics.js';

export interface HealthSources {
  config: BotConfig;
  metrics: BotMetrics;
  startedAt: number;
  lock: () => LockFacts;
  database: () => DatabaseSnapshot;
}

export function registerHealthRoute(app: FastifyInstance, sources: HealthSources): void {
  app.get('/health', async () => healthBody(sources, Date.now()));
}

export function healthBody(sources: HealthSources, now: number) {
  const { config, metrics } = sources;
  const lock = sources.lock();
  const database = sources.database();
  const depth = database.depth;
  const backpressure = depth >= config.queueCapacity;
  const schemaReady = database.migrations !== null && database.migrations.pending.length === 0 && database.migrations.changed.length === 0;
  return {
    status: healthStatus(database.connected, schemaReady, backpressure),
    version: config.version,
    uptime_s: Math.round((now - sources.startedAt) / 100) / 10,
    active: lock.state === 'ACTIVE',
    lock_state: lock.state,
    lock_holder_pid: lock.holderPid,
    lock_idle_s: lock.idleS,
    lock_heartbeat_age_s: lock.heartbeatAgeS,
    db_schema_ready: schemaReady,
    migrations_applied: database.migrations?.applied.length ?? 0,
    queue: {
      depth,
      capacity: config.queueCapacity,
      utilization_pct: Math.round((depth / config.queueCapacity) * 10000) / 100,
      total_received: metrics.totals.received,
      total_processed: metrics.totals.processed,
      total_duplicates: metrics.totals.duplicates,
      total_rejected: metrics.totals.rejected,
      backpressure_active: backpressure,
    },
  };
}

/** error: cannot serve updates; degraded: serving with a problem someone must look at. */
function healthStatus(connected: boolean, schemaReady: boolean, backpressure: boolean): 'ok' | 'degraded' | 'error' {
  if (!connected) return 'error';
  if (!schemaReady || backpressure) return 'degraded';
  return 'ok';
}
