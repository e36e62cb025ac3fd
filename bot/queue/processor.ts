/**
 * Processing of stored updates, off the request path, on the ACTIVE instance only.
 *
 * The inbox is the queue. The processor takes the oldest unprocessed update of every chat that
 * has none in flight — in order within a chat, concurrently across chats, `workers` at a time —
 * woken at once by this instance's webhook and every `pollMs` for updates a PASSIVE stored.
 *
 * An update may be taken twice (a takeover while the deposed leader is mid-handler), so the
 * effect is made exactly-once here: the inbox row is locked, skipped when already processed,
 * and its processed mark commits together with the DISPATCH_OK/FAIL event — only while this
 * instance's leader epoch is still the current one, so a deposed leader's late commit is
 * refused (fencing).
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import { withDeadline } from '../deadline.js';
import { INSERT_EVENT_SQL, eventParams, logEvent, type NewEvent } from '../events/events.js';
import type { BotMetrics } from '../metrics.js';

export interface DispatchContext {
  cid: string;
  updateId: number;
  chatId: number | null;
  /** A PASSIVE instance already answered the update's callback query. */
  passiveAnswered: boolean;
}

/** Runs one update through the bot; throwing means the handler failed (DISPATCH_FAIL). */
export type UpdateHandler = (update: unknown, context: DispatchContext) => Promise<void>;

export interface ProcessorOptions {
  pool: pg.Pool;
  lockKey: number;
  workers: number;
  log: Logger;
  metrics: BotMetrics;
  handle: UpdateHandler;
  /** Infrastructure that must be ready before an update runs (grammY's getMe); throwing retries later. */
  prepare: () => Promise<void>;
  /** The leader epoch this instance holds right now (null when PASSIVE): checked before each update. */
  currentEpoch: () => number | null;
  /** How often to look for updates nobody woke us for (stored by a PASSIVE, left by a crash). */
  pollMs?: number;
}

/** The leader epoch changed under a running update: its result must not be committed. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
}

interface Pending {
  updateId: number;
  chatId: number | null;
}

/** How many candidate rows one scan reads: enough to find `workers` distinct free chats. */
const SCAN_FACTOR = 16;
/** After an infrastructure failure (database gone), wait this long before scanning again. */
const FAILURE_BACKOFF_MS = 1000;
const MAX_RETRY_MS = 30_000;

export class UpdateProcessor {
  private epoch: number | null = null;
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Chats with an update in flight: their next update waits. `null` (no chat) runs one at a time too. */
  private readonly busyChats = new Set<number | null>();
  private wakeUp: (() => void) | null = null;
  /** A wake-up that came while the pump was busy: the next sleep returns at once. */
  private woken = false;
  /** Updates whose last attempt failed on infrastructure: not taken again before this time. */
  private readonly retryAt = new Map<number, { at: number; failures: number }>();
  private pumping: Promise<void> | null = null;
  private readonly pollMs: number;

  constructor(private readonly options: ProcessorOptions) {
    this.pollMs = options.pollMs ?? 250;
  }

  start(epoch: number): void {
    this.epoch = epoch;
    this.retryAt.clear();
    this.pumping ??= this.pump(epoch).finally(() => {
      this.pumping = null;
      // Leadership may have come back while the old pump was winding down.
      if (this.epoch !== null && this.epoch !== epoch) this.start(this.epoch);
    });
    this.wake();
  }

  /** Something was stored: look now rather than at the next poll. */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = null;
    if (wakeUp) wakeUp();
    else this.woken = true;
  }

  /** Stops taking updates at once; in-flight ones finish or are refused at commit by the fence. */
  halt(reason: string): void {
    if (this.epoch === null) return;
    this.epoch = null;
    this.options.log.warn({ reason, inFlight: this.inFlight.size }, 'update processing halted');
    this.wake();
  }

  /** Graceful stop: no new updates; in-flight ones finish until the deadline. */
  async stop(deadlineMs: number): Promise<void> {
    this.epoch = null;
    this.wake();
    const finished = await withDeadline(Promise.allSettled([...this.inFlight.values(), this.pumping]), deadlineMs, 'shutdown deadline').then(
      () => true,
      () => false,
    );
    if (!finished) {
      this.options.log.warn({ deadlineMs, inFlight: this.inFlight.size }, 'in-flight updates did not finish before the shutdown deadline; the next ACTIVE runs them again');
    }
  }

  private leading(epoch: number): boolean {
    return this.epoch === epoch && this.options.currentEpoch() === epoch;
  }

  private async pump(epoch: number): Promise<void> {
    const { log } = this.options;
    while (this.leading(epoch)) {
      const free = this.options.workers - this.inFlight.size;
      let started = 0;
      if (free > 0) {
        try {
          for (const next of await this.candidates(free)) {
            this.launch(next, epoch);
            started += 1;
          }
        } catch (error) {
          log.error({ err: error }, 'could not read the inbox; retrying');
          await this.sleep(FAILURE_BACKOFF_MS);
          continue;
        }
      }
      if (started === 0) await this.sleep(this.pollMs);
    }
  }

  /** Waits for a wake-up (a stored update, a finished one, a halt) or the timeout. */
  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** The oldest unprocessed update of each chat with nothing in flight, oldest first. */
  private async candidates(free: number): Promise<Pending[]> {
    const result = await this.options.pool.query<{ update_id: string; chat_id: string | null }>(
      `SELECT update_id::text, chat_id::text FROM inbox
        WHERE processed_at IS NULL AND NOT (update_id = ANY($1::bigint[]))
        ORDER BY update_id
        LIMIT $2::int`,
      [[...this.inFlight.keys()], free * SCAN_FACTOR],
    );
    const chosen: Pending[] = [];
    const seen = new Set<number | null>();
    for (const row of result.rows) {
      const chatId = row.chat_id === null ? null : Number(row.chat_id);
      // Only a chat's oldest pending update is eligible: a later one waits even if the older is busy.
      if (seen.has(chatId)) continue;
      seen.add(chatId);
      if (this.busyChats.has(chatId)) continue;
      const retry = this.retryAt.get(Number(row.update_id));
      if (retry && retry.at > Date.now()) continue;
      chosen.push({ updateId: Number(row.update_id), chatId });
      if (chosen.length === free) break;
    }
    return chosen;
  }

  private launch(next: Pending, epoch: number): void {
    this.busyChats.add(next.chatId);
    const run = this.run(next.updateId, epoch)
      .then(() => {
        this.retryAt.delete(next.updateId);
      })
      .catch((error: unknown) => {
        // Infrastructure (database, getMe) or fencing: the update stays unprocessed and is taken
        // again after a backoff, so a dead dependency is not hammered.
        const failures = (this.retryAt.get(next.updateId)?.failures ?? 0) + 1;
        const delayMs = Math.min(MAX_RETRY_MS, FAILURE_BACKOFF_MS * 2 ** (failures - 1));
        this.retryAt.set(next.updateId, { at: Date.now() + delayMs, failures });
        this.options.log.warn({ err: error, update_id: next.updateId, retryInMs: delayMs }, 'update not processed; it stays in the inbox and is retried');
      })
      .finally(() => {
        this.inFlight.delete(next.updateId);
        this.busyChats.delete(next.chatId);
        this.wake();
      });
    this.inFlight.set(next.updateId, run);
  }

  private async run(updateId: number, epoch: number): Promise<void> {
    if (!this.leading(epoch)) throw new FencedError(`leadership epoch ${epoch} is over`);
    await this.options.prepare();
    await this.dispatch(updateId, epoch);
  }

  private async dispatch(updateId: number, epoch: number): Promise<void> {
    const { pool, lockKey, log, metrics, handle } = this.options;
    const client = await pool.connect();
    let open = false;
    try {
      await client.query('BEGIN');
      open = true;
      // A new leader may find the update locked by the deposed one mid-handler: it waits for
      // that transaction to end rather than running the update twice at once.
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
        event = { event: 'DISPATCH_FAIL', level: 'error', cid: context.cid, updateId, chatId: context.chatId, data: { error: error instanceof Error ? error.message : String(error) } };
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
