/**
 * Paid text-to-image generation (SPEC §8): reserve → createTask → callback or polling → capture
 * and deliver, or release. Every step is a durable graphile-worker job, so a restart or a
 * takeover loses nothing, and every money step is a ledger entry with a ref derived from the
 * generation, so running a step twice changes nothing. A callback only says "look again": the
 * task is re-read from the API before anything is charged or sent.
 */
import { createHmac } from 'node:crypto';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';
import type pg from 'pg';
import { addEntry, balanceOf } from '../billing/ledger.js';
import { recordEvent, type EventName, type NewEvent } from '../events/events.js';
import { secretMatches } from '../http/auth.js';
import { KieError, type KieClient } from './kie.js';
import type { ModelRegistry } from './models.js';

export const GENERATION_TASKS = { submit: 'kie-submit', poll: 'kie-poll', notify: 'generation-notify' } as const;

export interface GenerationRow {
  id: number;
  chatId: number;
  cid: string;
  modelId: string;
  kieModel: string;
  prompt: string;
  price: number;
  state: 'reserved' | 'submitted' | 'succeeded' | 'failed' | 'expired';
  taskId: string | null;
  resultUrl: string | null;
  error: string | null;
  overdue: boolean;
  delivered: boolean;
}

/** How the user learns the outcome: the Telegram side implements it. */
export type GenerationNotifier = (generation: GenerationRow) => Promise<void>;

export interface GenerationServiceOptions {
  pool: pg.Pool;
  log: Logger;
  kie: KieClient | null;
  models: ModelRegistry;
  /** PUBLIC_URL: where KIE calls back; null → no callback, polling only. */
  publicUrl: string | null;
  /** Signs callback URLs, so a callback names a generation only if we issued its URL. */
  callbackSecret: string;
  deadlineS: number;
  pollIntervalS: number;
}

export type RequestOutcome =
  | { outcome: 'started'; generationId: number; price: number; balance: number }
  | { outcome: 'duplicate' }
  | { outcome: 'insufficient'; price: number; balance: number }
  | { outcome: 'unavailable'; reason: string };

export interface GenerationRequest {
  chatId: number;
  cid: string;
  modelId: string;
  prompt: string;
  /** Idempotency of the request itself, e.g. `update:<update_id>` of the confirming click. */
  requestRef: string;
}

export type CallbackVerdict = { accepted: true; generationId: number } | { accepted: false; reason: string };

/** $5: 'replace' (this run_at wins) or 'preserve_run_at' (an earlier pending run of the same key is kept). */
const ADD_JOB_SQL = `SELECT graphile_worker.add_job($1::text, json_build_object('generation_id', $2::bigint), run_at := now() + make_interval(secs => $3::float8), job_key := $4::text, job_key_mode := $5::text, max_attempts := 25)`;
/** A callback can beat createTask's answer: look again this soon, once the task id is stored. */
const EARLY_CALLBACK_POLL_S = 1;

export class GenerationService {
  private notifier: GenerationNotifier | null = null;

  constructor(private readonly options: GenerationServiceOptions) {}

  /** The Telegram side registers how outcomes reach the user (it is built after this service). */
  setNotifier(notifier: GenerationNotifier): void {
    this.notifier = notifier;
  }

  async request(request: GenerationRequest): Promise<RequestOutcome> {
    const { pool, models, kie, deadlineS } = this.options;
    const model = models.get(request.modelId);
    if (!model || !model.enabled) return { outcome: 'unavailable', reason: `the model ${request.modelId} is not available` };
    if (!kie) return { outcome: 'unavailable', reason: 'image generation is not configured (KIE_API_KEY is not set)' };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO generations (chat_id, cid, request_ref, model_id, kie_model, prompt, price, state, deadline_at)
         VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, 'reserved', now() + make_interval(secs => $8::float8))
         ON CONFLICT ON CONSTRAINT generations_request_ref_unique DO NOTHING
         RETURNING id::text`,
        [request.chatId, request.cid, request.requestRef, model.id, model.kieModel, request.prompt, model.priceCredits, deadlineS],
      );
      const id = inserted.rows[0] ? Number(inserted.rows[0].id) : null;
      if (id === null) {
        await client.query('ROLLBACK');
        return { outcome: 'duplicate' };
      }
      const reserved = await addEntry(client, { chatId: request.chatId, kind: 'reserve', amount: -model.priceCredits, ref: `reserve:generation:${id}`, cid: request.cid, generationId: id });
      if (reserved === 'insufficient') {
        await client.query('ROLLBACK');
        return { outcome: 'insufficient', price: model.priceCredits, balance: await balanceOf(client, request.chatId) };
      }
      await client.query(ADD_JOB_SQL, [GENERATION_TASKS.submit, id, 0, `submit:${id}`, 'replace']);
      await client.query('COMMIT');
      const balance = await balanceOf(client, request.chatId);
      await this.event('GENERATION_RESERVED', 'info', { id, chatId: request.chatId, cid: request.cid }, { model: model.id, price: model.priceCredits, balance });
      return { outcome: 'started', generationId: id, price: model.priceCredits, balance };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The callback URL of a generation: signed, so a forged callback cannot name someone else's task. */
  callbackUrl(generationId: number): string | null {
    if (!this.options.publicUrl) return null;
    return `${this.options.publicUrl}/kie-callback?generation=${generationId}&sig=${this.sign(generationId)}`;
  }

  /**
   * A KIE callback: never trusted for its content. A valid signature and a task id matching the
   * generation only schedule an immediate re-read of the task; anything else is recorded as
   * rejected (and, for a signed one that beat createTask's answer, a re-read a second later).
   */
  async onCallback(query: { generation?: string; sig?: string }, body: unknown): Promise<CallbackVerdict> {
    const taskId = callbackTaskId(body);
    const generationId = Number(query.generation);
    if (!Number.isSafeInteger(generationId) || generationId <= 0 || !query.sig || !secretMatches(query.sig, this.sign(generationId))) {
      await this.event('KIE_CALLBACK_REJECTED', 'warn', { id: null, chatId: null, cid: null }, { reason: 'unsigned or badly signed callback URL', task_id: taskId });
      return { accepted: false, reason: 'unknown callback' };
    }
    const generation = await this.load(this.options.pool, generationId);
    if (!generation || !taskId || generation.taskId !== taskId) {
      const early = generation !== null && generation.state === 'reserved' && generation.taskId === null;
      // A correctly signed URL names one of our generations: whatever the body claims, looking at
      // that generation's own task again is harmless — and it is what a callback that beat
      // createTask's answer needs, instead of waiting for the next regular poll.
      if (early) await this.options.pool.query(ADD_JOB_SQL, [GENERATION_TASKS.poll, generationId, EARLY_CALLBACK_POLL_S, `poll:${generationId}`, 'replace']);
      const reason = !generation ? 'no such generation' : early ? 'the task id is not stored yet (the callback beat createTask); polling soon' : 'task id does not match the generation';
      await this.event('KIE_CALLBACK_REJECTED', 'warn', { id: generationId, chatId: generation?.chatId ?? null, cid: generation?.cid ?? null }, { reason, task_id: taskId });
      return { accepted: false, reason: 'unknown task' };
    }
    await this.options.pool.query(ADD_JOB_SQL, [GENERATION_TASKS.poll, generationId, 0, `poll:${generationId}`, 'replace']);
    await this.event('KIE_CALLBACK', 'info', generation, { task_id: taskId });
    return { accepted: true, generationId };
  }

  /** graphile-worker tasks; the job runner runs them on the ACTIVE only. */
  tasks(): Record<string, Task> {
    return {
      [GENERATION_TASKS.submit]: (payload) => this.submit(generationIdOf(payload)),
      [GENERATION_TASKS.poll]: (payload) => this.poll(generationIdOf(payload)),
      [GENERATION_TASKS.notify]: (payload) => this.notify(generationIdOf(payload)),
    };
  }

  private async submit(id: number): Promise<void> {
    const { pool, kie, models, pollIntervalS } = this.options;
    const generation = await this.load(pool, id);
    if (!generation || generation.state !== 'reserved') return;
    if (generation.overdue) return this.finish(generation, 'expired', 'the task could not be created before the deadline');
    if (!kie) return this.finish(generation, 'failed', 'image generation is not configured');
    const model = models.get(generation.modelId);
    let taskId: string;
    try {
      taskId = await kie.createTask(generation.kieModel, { ...(model?.input ?? {}), prompt: generation.prompt }, this.callbackUrl(id));
    } catch (error) {
      if (error instanceof KieError && !error.retryable) return this.finish(generation, 'failed', error.message);
      throw error;
    }
    const updated = await pool.query(
      `UPDATE generations SET state = 'submitted', task_id = $2::text, updated_at = clock_timestamp() WHERE id = $1::bigint AND state = 'reserved'`,
      [id, taskId],
    );
    if (updated.rowCount !== 1) return;
    // preserve_run_at: an early callback's sooner poll is not pushed back.
    await pool.query(ADD_JOB_SQL, [GENERATION_TASKS.poll, id, pollIntervalS, `poll:${id}`, 'preserve_run_at']);
    await this.event('KIE_TASK_CREATED', 'info', generation, { task_id: taskId, model: generation.kieModel });
  }

  private async poll(id: number): Promise<void> {
    const { pool, kie, pollIntervalS } = this.options;
    const generation = await this.load(pool, id);
    if (!generation || generation.state !== 'submitted' || !generation.taskId || !kie) return;
    let record;
    try {
      record = await kie.recordInfo(generation.taskId);
    } catch (error) {
      if (generation.overdue) return this.finish(generation, 'expired', `no answer from KIE before the deadline (${error instanceof Error ? error.message : String(error)})`);
      throw error;
    }
    if (record.state === 'success') {
      const url = record.resultUrls[0];
      if (!url) return this.finish(generation, 'failed', 'the task succeeded without a result URL');
      return this.capture(generation, url);
    }
    if (record.state === 'fail') return this.finish(generation, 'failed', record.failMsg ?? 'the generation failed');
    if (generation.overdue) return this.finish(generation, 'expired', `the task was still ${record.state} at the deadline`);
    await pool.query(ADD_JOB_SQL, [GENERATION_TASKS.poll, id, pollIntervalS, `poll:${id}`, 'replace']);
  }

  private async capture(generation: GenerationRow, resultUrl: string): Promise<void> {
    const done = await this.transition(generation, 'succeeded', { resultUrl }, { kind: 'capture', amount: 0 });
    if (done) await this.event('GENERATION_CAPTURED', 'info', generation, { price: generation.price, result_url: resultUrl });
  }

  private async finish(generation: GenerationRow, state: 'failed' | 'expired', error: string): Promise<void> {
    const done = await this.transition(generation, state, { error }, { kind: 'release', amount: generation.price });
    if (done) await this.event(state === 'failed' ? 'GENERATION_FAILED' : 'GENERATION_EXPIRED', 'warn', generation, { error, released: generation.price });
  }

  /**
   * The state change, its ledger entry and the notification job commit together, once — and
   * only if the generation is still in the state (and has the task) the decision was made on:
   * a stale submit failure must not fail a generation another attempt already sent to KIE.
   */
  private async transition(
    generation: GenerationRow,
    state: 'succeeded' | 'failed' | 'expired',
    fields: { resultUrl?: string; error?: string },
    entry: { kind: 'capture' | 'release'; amount: number },
  ): Promise<boolean> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const updated = await client.query(
        `UPDATE generations SET state = $2::text, result_url = $3::text, error = $4::text, updated_at = clock_timestamp()
          WHERE id = $1::bigint AND state = $5::text AND task_id IS NOT DISTINCT FROM $6::text`,
        [generation.id, state, fields.resultUrl ?? null, fields.error ?? null, generation.state, generation.taskId],
      );
      if (updated.rowCount !== 1) {
        await client.query('ROLLBACK');
        return false;
      }
      await addEntry(client, { chatId: generation.chatId, kind: entry.kind, amount: entry.amount, ref: `${entry.kind}:generation:${generation.id}`, cid: generation.cid, generationId: generation.id });
      await client.query(ADD_JOB_SQL, [GENERATION_TASKS.notify, generation.id, 0, `notify:${generation.id}`, 'replace']);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async notify(id: number): Promise<void> {
    const { pool } = this.options;
    const generation = await this.load(pool, id);
    if (!generation || generation.delivered || !['succeeded', 'failed', 'expired'].includes(generation.state)) return;
    if (!this.notifier) throw new Error('no notifier registered: generation outcomes cannot reach the user yet');
    await this.notifier(generation);
    await pool.query('UPDATE generations SET delivered_at = clock_timestamp() WHERE id = $1::bigint', [id]);
  }

  async load(db: Pick<pg.Pool, 'query'>, id: number): Promise<GenerationRow | null> {
    const result = await db.query<{
      id: string; chat_id: string; cid: string; model_id: string; kie_model: string; prompt: string; price: string; state: GenerationRow['state'];
      task_id: string | null; result_url: string | null; error: string | null; overdue: boolean; delivered: boolean;
    }>(
      `SELECT id::text, chat_id::text, cid, model_id, kie_model, prompt, price::text, state, task_id, result_url, error,
              deadline_at < now() AS overdue, delivered_at IS NOT NULL AS delivered
         FROM generations WHERE id = $1::bigint`,
      [id],
    );
    const row = result.rows[0];
    if (!row) return null;
    return {
      id: Number(row.id), chatId: Number(row.chat_id), cid: row.cid, modelId: row.model_id, kieModel: row.kie_model, prompt: row.prompt,
      price: Number(row.price), state: row.state, taskId: row.task_id, resultUrl: row.result_url, error: row.error, overdue: row.overdue, delivered: row.delivered,
    };
  }

  private sign(generationId: number): string {
    return createHmac('sha256', this.options.callbackSecret).update(`kie-callback:${generationId}`).digest('hex').slice(0, 32);
  }

  private event(event: EventName, level: NewEvent['level'], subject: { id: number | null; chatId: number | null; cid: string | null }, data: Record<string, unknown>): Promise<void> {
    return recordEvent(this.options.pool, this.options.log, { event, level, cid: subject.cid, updateId: null, chatId: subject.chatId, data: { generation_id: subject.id, ...data } });
  }
}

function generationIdOf(payload: unknown): number {
  const id = Number((payload as { generation_id?: unknown } | null)?.generation_id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`generation job without a usable generation_id: ${JSON.stringify(payload)}`);
  return id;
}

/** The task id a callback names, wherever KIE puts it; null when there is none. */
function callbackTaskId(body: unknown): string | null {
  const data = (body as { data?: { taskId?: unknown } } | null)?.data;
  const taskId = data?.taskId ?? (body as { taskId?: unknown } | null)?.taskId;
  return typeof taskId === 'string' && taskId.length > 0 ? taskId : null;
}
