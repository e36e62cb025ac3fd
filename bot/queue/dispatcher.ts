/**
 * Processing of stored updates, off the request path, on the ACTIVE instance only.
 *
 * graphile-worker runs one `dispatch` job per stored update, serially within a lane (a shard of
 * chats) and concurrently across lanes. A job may run more than once (a crash between our commit
 * and the job's completion, a takeover), so the effect is made exactly-once here: the inbox row
 * is locked, skipped when already processed, and its "processed" mark commits together with the
 * DISPATCH_OK/FAIL event — and only while this instance's leader epoch is still the current
 * one, so a deposed leader's late commit is refused (fencing).
 */
import { Logger as WorkerLogger, makeWorkerUtils, run, type Runner, type Task } from 'graphile-worker';
import type { Logger } from 'pino';
import type pg from 'pg';
import { INSERT_EVENT_SQL, eventParams, logEvent, type NewEvent } from '../events/events.js';
import type { BotMetrics } from '../metrics.js';
import { DISPATCH_TASK } from './inbox.js';

export interface DispatchContext {
  cid: string;
  updateId: number;
  chatId: number | null;
  /** A PASSIVE instance already answered the update's callback query. */
  passiveAnswered: boolean;
}

/** Runs one update through the bot; throwing means the handler failed (DISPATCH_FAIL). */
export type UpdateHandler = (update: unknown, context: DispatchContext) => Promise<void>;

export interface DispatcherOptions {
  pool: pg.Pool;
  lockKey: number;
  workers: number;
  log: Logger;
  metrics: BotMetrics;
  handle: UpdateHandler;
  /** The leader epoch this instance holds right now (null when PASSIVE): checked before each update. */
  currentEpoch: () => number | null;
  /** Called before each update: infrastructure that must be ready (e.g. grammY's getMe). Throwing retries the job later. */
  prepare: () => Promise<void>;
  /** Further durable jobs (generation steps), run under the same leadership guard. */
  tasks?: Record<string, Task>;
}

/** The leader epoch changed under a running job: its result must not be committed. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
}

export class Dispatcher {
  private runner: Runner | null = null;
  private epoch: number | null = null;
  private starting: Promise<void> | null = null;

  constructor(private readonly options: DispatcherOptions) {}

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
      this.options.log.warn({ reason }, 'dispatcher halted');
      runner.stop(reason).catch((error: unknown) => this.options.log.warn({ err: error }, 'dispatcher stop failed'));
    }
  }

  /** Graceful stop: no new jobs, in-flight ones finish until the deadline. */
  async stop(deadlineMs: number): Promise<void> {
    await this.starting?.catch(() => undefined);
    const runner = this.runner;
    this.runner = null;
    if (!runner) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const outcome = await Promise.race([runner.stop('shutdown').then(() => 'stopped' as const), deadline]);
    clearTimeout(timer);
    this.epoch = null;
    if (outcome === 'deadline') {
      this.options.log.warn({ deadlineMs }, 'in-flight updates did not finish before the shutdown deadline; the next ACTIVE re-runs them');
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
      pollInterval: 1000,
      logger: workerLogger(log),
      taskList: { ...this.guardedTasks(epoch), [DISPATCH_TASK]: this.dispatchTask(epoch) },
    });
    if (this.epoch !== epoch) {
      await runner.stop('leadership lost while starting');
      return;
    }
    this.runner = runner;
    log.info({ epoch, workers }, 'dispatcher started');
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
      Object.entries(this.options.tasks ?? {}).map(([name, task]) => [
        name,
        ((payload, helpers) => {
          if (!this.leading(epoch)) throw new FencedError(`leadership epoch ${epoch} is over; the current ACTIVE will run this ${name} job`);
          return task(payload, helpers);
        }) satisfies Task,
      ]),
    );
  }

  private dispatchTask(epoch: number): Task {
    return async (payload) => {
      if (!this.leading(epoch)) throw new FencedError(`leadership epoch ${epoch} is over; the current ACTIVE will run this update`);
      const updateId = Number((payload as { update_id?: unknown }).update_id);
      if (!Number.isSafeInteger(updateId)) {
        this.options.log.error({ payload }, 'dispatch job without a usable update_id; dropped');
        return;
      }
      await this.options.prepare();
      await this.dispatch(updateId, epoch);
    };
  }

  private async dispatch(updateId: number, epoch: number): Promise<void> {
    const { pool, lockKey, log, metrics, handle } = this.options;
    const client = await pool.connect();
    let open = false;
    try {
      await client.query('BEGIN');
      open = true;
      // A takeover's new leader may find the update locked by the deposed one mid-handler: it
      // waits for that transaction to end rather than running the update twice at once.
      await client.query("SET LOCAL lock_timeout = '30s'");
      const found = await client.query<{ cid: string; chat_id: string | null; payload: unknown; processed: boolean; passive_answered: boolean }>(
        'SELECT cid, chat_id::text, payload, processed_at IS NOT NULL AS processed, passive_answered FROM inbox WHERE update_id = $1::bigint FOR UPDATE',
        [updateId],
      );
      const row = found.rows[0];
      if (!row || row.processed) {
        await client.query('COMMIT');
        open = false;
        return;
      }
      const context: DispatchContext = { cid: row.cid, updateId, chatId: row.chat_id === null ? null : Number(row.chat_id), passiveAnswered: row.passive_answered };
      let event: NewEvent;
      try {
        await handle(row.payload, context);
        event = { event: 'DISPATCH_OK', level: 'info', cid: context.cid, updateId, chatId: context.chatId };
      } catch (error) {
        event = { event: 'DISPATCH_FAIL', level: 'error', cid: context.cid, updateId, chatId: context.chatId, data: { error: errorMessage(error) } };
      }
      const marked = await client.query(
        `UPDATE inbox SET processed_at = now(), processed_epoch = $3::bigint, outcome = $4::text
          WHERE update_id = $1::bigint
            AND EXISTS (SELECT 1 FROM bot_leader WHERE lock_key = $2::int AND epoch = $3::bigint FOR SHARE)`,
        [updateId, lockKey, epoch, event.event],
      );
      if (marked.rowCount !== 1) {
        await client.query('ROLLBACK');
        open = false;
        throw new FencedError(`update ${updateId} was handled under leader epoch ${epoch}, which is no longer current: not marked processed`);
      }
      await client.query(INSERT_EVENT_SQL, eventParams(event));
      await client.query('COMMIT');
      open = false;
      logEvent(log, event);
      metrics.dispatchDone(event.event === 'DISPATCH_OK' ? 'ok' : 'fail');
    } catch (error) {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
