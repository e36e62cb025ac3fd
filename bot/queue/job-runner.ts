/**
 * The durable jobs of the ACTIVE instance (generation steps) on graphile-worker: retries with
 * backoff, LISTEN/NOTIFY wake-ups, run_at scheduling and job keys. Every task runs under a
 * leadership guard: once this instance's epoch is over, its jobs refuse to start, and the new
 * leader frees the jobs the old one left locked.
 */
import { Logger as WorkerLogger, makeWorkerUtils, run, type Runner, type Task } from 'graphile-worker';
import type { Logger } from 'pino';
import type pg from 'pg';
import { withDeadline } from '../deadline.js';
import { FencedError } from './processor.js';

export interface JobRunnerOptions {
  pool: pg.Pool;
  workers: number;
  log: Logger;
  /** The leader epoch this instance holds right now (null when PASSIVE): checked before each job. */
  currentEpoch: () => number | null;
  tasks: Record<string, Task>;
}

export class JobRunner {
  private runner: Runner | null = null;
  private epoch: number | null = null;
  private starting: Promise<void> | null = null;

  constructor(private readonly options: JobRunnerOptions) {}

  /** Starts processing under the given leader epoch, after freeing jobs a previous holder left locked. */
  async start(epoch: number): Promise<void> {
    this.epoch = epoch;
    const starting = this.startRunner(epoch);
    this.starting = starting;
    await starting;
  }

  /** Stops taking jobs at once; in-flight jobs finish or are refused at commit by the fence. */
  halt(reason: string): void {
    this.epoch = null;
    const runner = this.runner;
    this.runner = null;
    if (runner) {
      this.options.log.warn({ reason }, 'job runner halted');
      runner.stop(reason).catch((error: unknown) => this.options.log.warn({ err: error }, 'job runner stop failed'));
    }
  }

  /** Graceful stop: no new jobs, in-flight ones finish until the deadline. */
  async stop(deadlineMs: number): Promise<void> {
    await this.starting?.catch(() => undefined);
    const runner = this.runner;
    this.runner = null;
    if (!runner) return;
    const finished = await withDeadline(runner.stop('shutdown'), deadlineMs, 'shutdown deadline').then(
      () => true,
      () => false,
    );
    this.epoch = null;
    if (!finished) {
      this.options.log.warn({ deadlineMs }, 'in-flight jobs did not finish before the shutdown deadline; the next ACTIVE re-runs them');
      await runner.kill('shutdown deadline').catch(() => undefined);
    }
  }

  private async startRunner(epoch: number): Promise<void> {
    const { pool, workers, log } = this.options;
    await this.unlockAbandonedJobs();
    if (this.epoch !== epoch) return;
    const runner = await run({
      pgPool: pool,
      concurrency: workers,
      noHandleSignals: true,
      // No recurring jobs: say so, instead of graphile-worker looking for a crontab file at every start.
      crontab: '',
      pollInterval: 1000,
      logger: workerLogger(log),
      taskList: this.guardedTasks(epoch),
    });
    if (this.epoch !== epoch) {
      await runner.stop('leadership lost while starting');
      return;
    }
    this.runner = runner;
    log.info({ epoch, workers }, 'job runner started');
  }

  /**
   * Jobs locked by a worker of a dead or deposed instance would wait hours for graphile-worker's
   * own lock timeout; the new leader is the only one processing, so it frees them at once.
   */
  private async unlockAbandonedJobs(): Promise<void> {
    const { pool, log } = this.options;
    const result = await pool.query<{ locked_by: string }>('SELECT DISTINCT locked_by FROM graphile_worker.jobs WHERE locked_by IS NOT NULL');
    const workerIds = result.rows.map((row) => row.locked_by);
    if (workerIds.length === 0) return;
    const utils = await makeWorkerUtils({ pgPool: pool, logger: workerLogger(log) });
    try {
      await utils.forceUnlockWorkers(workerIds);
      log.info({ workerIds }, 'freed jobs left locked by a previous holder');
    } finally {
      await utils.release();
    }
  }

  private leading(epoch: number): boolean {
    return this.epoch === epoch && this.options.currentEpoch() === epoch;
  }

  private guardedTasks(epoch: number): Record<string, Task> {
    return Object.fromEntries(
      Object.entries(this.options.tasks).map(([name, task]) => [
        name,
        ((payload, helpers) => {
          if (!this.leading(epoch)) throw new FencedError(`leadership epoch ${epoch} is over; the current ACTIVE will run this ${name} job`);
          return task(payload, helpers);
        }) satisfies Task,
      ]),
    );
  }
}

function workerLogger(log: Logger): WorkerLogger {
  const worker = log.child({ component: 'graphile-worker' });
  return new WorkerLogger(() => (level, message, meta) => {
    const fields = meta ?? {};
    if (level === 'error') worker.error(fields, message);
    else if (level === 'warning') worker.warn(fields, message);
    else if (level === 'info') worker.info(fields, message);
    else worker.debug(fields, message);
  });
}
