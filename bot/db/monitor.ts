/**
 * What /health says about the database, measured in the background: /health must answer within
 * its SLA and keep answering when the database is down, so it never waits on a query itself.
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import { backlogDepth } from '../queue/inbox.js';
import { migrationStatus, type MigrationFile, type MigrationStatus } from './migrate.js';

export interface DatabaseSnapshot {
  connected: boolean;
  latencyMs: number | null;
  migrations: MigrationStatus | null;
  /** Stored updates not yet processed, as last counted plus those stored since. */
  depth: number;
}

export class DatabaseMonitor {
  private snapshot: DatabaseSnapshot = { connected: false, latencyMs: null, migrations: null, depth: 0 };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly files: MigrationFile[],
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  current(): DatabaseSnapshot {
    return this.snapshot;
  }

  /** The webhook stored an update since the last count: the database answers. */
  noteStored(): void {
    this.snapshot = { ...this.snapshot, connected: true, depth: this.snapshot.depth + 1 };
  }

  /** The webhook could not reach the database: say so before the next probe does. */
  noteUnreachable(): void {
    this.snapshot = { ...this.snapshot, connected: false };
  }

  refresh(): Promise<void> {
    this.running ??= this.probe().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async probe(): Promise<void> {
    const started = performance.now();
    try {
      await this.pool.query('SELECT 1');
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      const [migrations, depth] = await Promise.all([migrationStatus(this.pool, this.files), backlogDepth(this.pool)]);
      this.snapshot = { connected: true, latencyMs, migrations, depth };
    } catch (error) {
      if (this.snapshot.connected) this.log.error({ err: error }, 'database unreachable');
      this.snapshot = { ...this.snapshot, connected: false, latencyMs: null };
    }
  }
}
