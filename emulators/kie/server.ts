/**
 * A local KIE API (the Market "jobs" API) for tests, the bench, the demo and `trt smoke`.
 *
 * It speaks KIE's wire format on `POST /api/v1/jobs/createTask` and `GET /api/v1/jobs/recordInfo`,
 * moves each task through waiting → queuing → generating → success | fail on real timers, serves
 * the result image itself and POSTs KIE's callback to the task's `callBackUrl`. How the next tasks
 * behave (fail, take long, never call back, never finish) is set per task; other processes drive it
 * through the `/__emulator/*` control endpoints.
 *
 * @example
 * ```ts
 * const kie = await KieEmulator.start({ apiKey: 'kie-test-key' });
 * kie.queueBehaviour({ outcome: 'fail', failMsg: 'NSFW content detected' }); // the next task fails
 * // … the bot creates a task against kie.apiRoot …
 * const done = await kie.waitForTask((task) => task.state === 'fail' && task.callbacks.length > 0);
 * await kie.sendCallback(done.taskId); // the same callback again, as a retrying KIE would
 * await kie.stop();
 * ```
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { acceptJsonBodies, BodyProblem, definedFields, describeFetchError, isPlainObject, listenLocal } from '../net.js';
import { Waiters } from '../waiters.js';
import { solidPng } from './png.js';
import {
  callbackBody,
  KIE_CODES,
  KIE_MESSAGES,
  recordInfoData,
  webhookSignature,
  type Envelope,
  type KieTaskState,
  type TaskFacts,
} from './wire.js';

export type { KieTaskState } from './wire.js';

/** How one task plays out. */
export interface TaskBehaviour {
  outcome: 'success' | 'fail';
  /** From createTask to the final state; the task is queuing after a quarter and generating after half. */
  delayMs: number;
  /** false: never call back, so the bot must poll recordInfo. */
  callback: boolean;
  /** failMsg of a failed task; default "Internal server error", as in KIE's example. */
  failMsg?: string;
  /** The task stays `generating` forever: no result, no callback. */
  neverFinish?: boolean;
}

export interface KieEmulatorOptions {
  /** The only key accepted in `Authorization: Bearer <key>`. */
  apiKey: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Over the built-in default: success, 0 ms, callback true. reset() comes back to it. */
  defaultBehaviour?: Partial<TaskBehaviour>;
  /**
   * KIE's optional webhook signing: when set, every callback carries `X-Webhook-Timestamp` and
   * `X-Webhook-Signature`, computed as KIE computes them.
   */
  webhookHmacKey?: string;
}

export interface CallbackAttempt {
  /** HTTP status the callback URL answered; null when it could not be reached. */
  status: number | null;
  /** Why it could not be reached. */
  error: string | null;
  /** ISO time the callback was sent. */
  at: string;
}

export interface KieTask {
  taskId: string;
  model: string;
  input: Record<string, unknown>;
  callBackUrl: string | null;
  state: KieTaskState;
  createdAt: string;
  completedAt: string | null;
  resultUrls: string[];
  failMsg: string | null;
  /** Every callback sent for the task, automatic or by sendCallback(), in order. */
  callbacks: CallbackAttempt[];
  /** Each state the task entered, from `waiting`. */
  history: { state: KieTaskState; at: string }[];
  /** The behaviour the task was created with. */
  behaviour: TaskBehaviour;
}

/** A request to the KIE API or a result file; control endpoints are not recorded. */
export interface KieCall {
  method: string;
  /** Path and query string, e.g. `/api/v1/jobs/recordInfo?taskId=…`. */
  path: string;
  /** ISO time it was answered. */
  at: string;
  /** HTTP status of the answer. */
  status: number;
  /** `code` of KIE's envelope (KIE answers its errors with HTTP 200); null for anything else. */
  code: number | null;
}

/** Why a callback could not be (re)sent. */
export class CallbackError extends Error {
  override readonly name = 'CallbackError';
  constructor(
    readonly reason: 'unknown-task' | 'not-finished' | 'no-callback-url' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

interface Entry {
  task: KieTask;
  param: string;
  createTime: number;
  updateTime: number;
  completeTime: number | null;
  consumeCredits: number;
  remainedCredits: number;
}

const BUILT_IN_BEHAVIOUR: TaskBehaviour = { outcome: 'success', delayMs: 0, callback: true };
const BEHAVIOUR_FIELDS = ['outcome', 'delayMs', 'callback', 'failMsg', 'neverFinish'] as const;
/** setTimeout's ceiling (about 24.8 days); a longer delay would fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;
const DEFAULT_FAIL_MSG = 'Internal server error';
/** What the nano-banana price list charges per image; only the callback's credit fields show it. */
const CREDITS_PER_IMAGE = 4;
const STARTING_CREDITS = 10_000;
const CALLBACK_TIMEOUT_MS = 15_000;
const DEFAULT_WAIT_MS = 5_000;
const CONTROL = '/__emulator';
const CONTROL_ENDPOINTS =
  `GET ${CONTROL}/tasks, GET ${CONTROL}/calls, POST ${CONTROL}/behaviour, POST ${CONTROL}/default-behaviour, ` +
  `POST ${CONTROL}/tasks/:taskId/callback, POST ${CONTROL}/reset`;
const CREATE_TASK_EXAMPLE = '{"model":"google/nano-banana","callBackUrl":"https://…","input":{"prompt":"…"}}';

export class KieEmulator {
  private readonly app: FastifyInstance;
  private readonly entries = new Map<string, Entry>();
  private readonly recorded: KieCall[] = [];
  private readonly envelopeCodes = new WeakMap<FastifyRequest, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Waiters<KieTask>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();
  private readonly startBehaviour: TaskBehaviour;
  private defaultBehaviour: TaskBehaviour;
  private queued: Partial<TaskBehaviour>[] = [];
  private credits = STARTING_CREDITS;
  private root = '';
  private stopped = false;

  private constructor(private readonly options: KieEmulatorOptions) {
    this.startBehaviour = { ...BUILT_IN_BEHAVIOUR, ...definedFields(options.defaultBehaviour ?? {}) };
    this.defaultBehaviour = this.startBehaviour;
    this.app = this.buildApp();
  }

  static async start(options: KieEmulatorOptions): Promise<KieEmulator> {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new TypeError('KieEmulator: apiKey must be a non-empty string, the key the bot sends as "Authorization: Bearer <key>"');
    }
    if (options.webhookHmacKey !== undefined && (typeof options.webhookHmacKey !== 'string' || options.webhookHmacKey === '')) {
      throw new TypeError('KieEmulator: webhookHmacKey, when given, must be a non-empty string');
    }
    const problems = behaviourProblems(options.defaultBehaviour ?? {});
    if (problems.length > 0) throw new TypeError(`KieEmulator: invalid defaultBehaviour: ${problems.join('; ')}`);
    const emulator = new KieEmulator(options);
    emulator.root = await listenLocal(emulator.app, options);
    return emulator;
  }

  /** The base URL before `/api/v1/jobs/…`, like `https://api.kie.ai`: the bot's KIE_API_ROOT. */
  get apiRoot(): string {
    return this.root;
  }

  /** The next task created takes this behaviour (over the default); later calls queue up, first in first out. */
  queueBehaviour(behaviour: Partial<TaskBehaviour>): void {
    assertBehaviour(behaviour);
    this.queued.push(definedFields(behaviour));
  }

  /** Tasks with no queued behaviour take the built-in default (success, 0 ms, callback) with these fields over it. */
  setDefaultBehaviour(behaviour: Partial<TaskBehaviour>): void {
    assertBehaviour(behaviour);
    this.defaultBehaviour = { ...BUILT_IN_BEHAVIOUR, ...definedFields(behaviour) };
  }

  /** Every task, oldest first, as copies. */
  tasks(): KieTask[] {
    return [...this.entries.values()].map((entry) => structuredClone(entry.task));
  }

  task(taskId: string): KieTask | undefined {
    const entry = this.entries.get(taskId);
    return entry && structuredClone(entry.task);
  }

  /** API requests and result downloads in the order they were answered. */
  calls(): KieCall[] {
    return this.recorded.map((call) => ({ ...call }));
  }

  /**
   * POSTs the finished task's callback, exactly as KIE sent it, again; returns the status the
   * callback URL answered, whatever it is. Rejects with a {@link CallbackError} when the task is
   * unknown, unfinished, has no callBackUrl, or the URL cannot be reached.
   */
  async sendCallback(taskId: string): Promise<{ status: number }> {
    const entry = this.entries.get(taskId);
    if (!entry) throw new CallbackError('unknown-task', `no task ${JSON.stringify(taskId)} on the KIE emulator; tasks: ${this.summary()}`);
    const { state, callBackUrl } = entry.task;
    if (state !== 'success' && state !== 'fail') {
      throw new CallbackError('not-finished', `task ${taskId} is ${state}: KIE calls back only when a task has finished (success or fail)`);
    }
    if (!callBackUrl) throw new CallbackError('no-callback-url', `task ${taskId} was created without a callBackUrl, so there is nowhere to call back`);
    const attempt = await this.deliverCallback(entry);
    if (attempt.status === null) throw new CallbackError('unreachable', `could not call back ${callBackUrl}: ${attempt.error}`);
    return { status: attempt.status };
  }

  /**
   * POSTs any JSON body to any URL, without a signature: a forged callback, for tests of the bot's
   * defences. Returns the status answered; rejects with a {@link CallbackError} when unreachable.
   */
  async sendRawCallback(callBackUrl: string, body: unknown): Promise<{ status: number }> {
    if (!isHttpUrl(callBackUrl)) throw new TypeError(`sendRawCallback: callBackUrl must be an http(s) URL, got ${JSON.stringify(callBackUrl)}`);
    const attempt = await this.post(callBackUrl, body, {});
    if (attempt.status === null) throw new CallbackError('unreachable', `could not call back ${callBackUrl}: ${attempt.error}`);
    return { status: attempt.status };
  }

  /**
   * The first task, existing or still to come, that satisfies `predicate`, checked again at every
   * change of any task (state, callback). On timeout it rejects listing the tasks there are.
   */
  waitForTask(predicate: (task: KieTask) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<KieTask> {
    for (const entry of this.entries.values()) {
      const snapshot = structuredClone(entry.task);
      try {
        if (predicate(snapshot)) return Promise.resolve(snapshot);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.waiters.wait(predicate, timeoutMs, () => `no matching KIE task within ${timeoutMs} ms; tasks: ${this.summary()}`);
  }

  /** Forgets tasks (stopping their timers), calls and queued behaviours; the default goes back to the one given at start. */
  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.entries.clear();
    this.recorded.length = 0;
    this.queued = [];
    this.defaultBehaviour = this.startBehaviour;
    this.credits = STARTING_CREDITS;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiters.rejectAll(`the KIE emulator stopped before a matching task appeared; tasks: ${this.summary()}`);
    this.shutdown.abort();
    await Promise.allSettled([...this.inFlight]);
    await this.app.close();
  }

  private buildApp(): FastifyInstance {
    const app = Fastify({ logger: false });
    acceptJsonBodies(app);

    app.addHook('onSend', async (request, reply) => {
      if (!request.url.startsWith(CONTROL)) {
        this.recorded.push({
          method: request.method,
          path: request.url,
          at: new Date().toISOString(),
          status: reply.statusCode,
          code: this.envelopeCodes.get(request) ?? null,
        });
      }
    });

    app.post('/api/v1/jobs/createTask', (request, reply) => this.createTask(request, reply));
    app.get('/api/v1/jobs/recordInfo', (request, reply) => this.recordInfo(request, reply));
    app.get('/files/:name', (request, reply) => this.serveFile(request, reply));

    app.get(`${CONTROL}/tasks`, (_request, reply) => reply.send({ tasks: this.tasks() }));
    app.get(`${CONTROL}/calls`, (_request, reply) => reply.send({ calls: this.calls() }));
    app.post(`${CONTROL}/behaviour`, (request, reply) => this.controlBehaviour(request, reply, 'queue'));
    app.post(`${CONTROL}/default-behaviour`, (request, reply) => this.controlBehaviour(request, reply, 'default'));
    app.post(`${CONTROL}/tasks/:taskId/callback`, (request, reply) => this.controlCallback(request, reply));
    app.post(`${CONTROL}/reset`, (_request, reply) => {
      this.reset();
      return reply.send({ ok: true });
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      if (path === CONTROL || path.startsWith(`${CONTROL}/`)) {
        return reply.code(404).send({ error: `unknown control endpoint ${request.method} ${path}; available: ${CONTROL_ENDPOINTS}` });
      }
      return this.envelope(request, reply, { code: KIE_CODES.notFound, msg: 'Not Found', data: null }, 404);
    });
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      // A 500 is a bug of the emulator: keep its stack where the test runner shows it.
      if (status === 500) console.error(error);
      if (request.url.startsWith(CONTROL)) return reply.code(status).send({ error: error.message });
      return this.envelope(request, reply, { code: status, msg: error.message, data: null }, status);
    });
    return app;
  }

  private createTask(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (!this.authorized(request)) return this.envelope(request, reply, { code: KIE_CODES.unauthorized, msg: KIE_MESSAGES.unauthorized });
    const body = request.body;
    const problem = createTaskProblem(body);
    if (problem) return this.envelope(request, reply, { code: KIE_CODES.validation, msg: problem, data: null });
    const params = body as { model: string; input: Record<string, unknown>; callBackUrl?: unknown };

    const now = Date.now();
    const taskId = randomBytes(16).toString('hex');
    const behaviour: TaskBehaviour = { ...this.defaultBehaviour, ...(this.queued.shift() ?? {}) };
    const entry: Entry = {
      task: {
        taskId,
        model: params.model,
        input: params.input,
        callBackUrl: typeof params.callBackUrl === 'string' && params.callBackUrl !== '' ? params.callBackUrl : null,
        state: 'waiting',
        createdAt: new Date(now).toISOString(),
        completedAt: null,
        resultUrls: [],
        failMsg: null,
        callbacks: [],
        history: [{ state: 'waiting', at: new Date(now).toISOString() }],
        behaviour,
      },
      param: JSON.stringify(body),
      createTime: now,
      updateTime: now,
      completeTime: null,
      consumeCredits: 0,
      remainedCredits: this.credits,
    };
    this.entries.set(taskId, entry);
    this.run(entry);
    this.changed(entry);
    return this.envelope(request, reply, { code: KIE_CODES.ok, msg: KIE_MESSAGES.ok, data: { taskId } });
  }

  private recordInfo(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (!this.authorized(request)) return this.envelope(request, reply, { code: KIE_CODES.unauthorized, msg: KIE_MESSAGES.unauthorized });
    const raw = (request.query as Record<string, unknown>).taskId;
    const taskId = (Array.isArray(raw) ? raw[0] : raw) as string | undefined;
    if (!taskId || taskId.trim() === '') {
      return this.envelope(request, reply, { code: KIE_CODES.badRequest, msg: KIE_MESSAGES.taskIdMissing, data: null });
    }
    const entry = this.entries.get(taskId);
    if (!entry) return this.envelope(request, reply, { code: KIE_CODES.validation, msg: KIE_MESSAGES.unknownTask, data: null });
    return this.envelope(request, reply, { code: KIE_CODES.ok, msg: KIE_MESSAGES.ok, data: recordInfoData(this.facts(entry)) });
  }

  /** Result URLs are public, like KIE's CDN links: no key needed. */
  private serveFile(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const { name } = request.params as { name: string };
    const taskId = /^([0-9a-f]{32})\.png$/.exec(name)?.[1];
    const entry = taskId === undefined ? undefined : this.entries.get(taskId);
    if (!entry || entry.task.state !== 'success') {
      return reply.code(404).type('text/plain; charset=utf-8').send(`Not Found: no result file ${name} (only a successful task has one)`);
    }
    const rgb = [0, 2, 4].map((offset) => parseInt(entry.task.taskId.slice(offset, offset + 2), 16)) as [number, number, number];
    return reply.type('image/png').send(solidPng(rgb));
  }

  /** KIE answers its own errors with HTTP 200 and the real status in `code`; `httpStatus` is for the layers around it. */
  private envelope(request: FastifyRequest, reply: FastifyReply, body: Envelope, httpStatus = 200): FastifyReply {
    this.envelopeCodes.set(request, body.code);
    return reply.code(httpStatus).send(body);
  }

  private authorized(request: FastifyRequest): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    return match?.[1] === this.options.apiKey;
  }

  /** waiting → queuing at a quarter of delayMs → generating at half → success | fail at delayMs. */
  private run(entry: Entry): void {
    const { delayMs, neverFinish } = entry.task.behaviour;
    const quarter = Math.floor(delayMs / 4);
    this.after(quarter, () => {
      this.moveTo(entry, 'queuing');
      this.after(quarter, () => {
        this.moveTo(entry, 'generating');
        if (!neverFinish) this.after(delayMs - 2 * quarter, () => this.finish(entry));
      });
    });
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private moveTo(entry: Entry, state: KieTaskState): void {
    const now = Date.now();
    entry.task.state = state;
    entry.task.history.push({ state, at: new Date(now).toISOString() });
    entry.updateTime = now;
    if (state === 'success' || state === 'fail') {
      entry.completeTime = now;
      entry.task.completedAt = new Date(now).toISOString();
    }
    this.changed(entry);
  }

  private finish(entry: Entry): void {
    const { outcome, failMsg, callback } = entry.task.behaviour;
    if (outcome === 'success') {
      entry.task.resultUrls = [`${this.apiRoot}/files/${entry.task.taskId}.png`];
      entry.consumeCredits = CREDITS_PER_IMAGE;
      this.credits -= CREDITS_PER_IMAGE;
    } else {
      entry.task.failMsg = failMsg ?? DEFAULT_FAIL_MSG;
    }
    entry.remainedCredits = this.credits;
    this.moveTo(entry, outcome);
    if (callback && entry.task.callBackUrl) void this.deliverCallback(entry);
  }

  /** Sends the task's callback and records the attempt on the task; never rejects. */
  private async deliverCallback(entry: Entry): Promise<CallbackAttempt> {
    const facts = this.facts(entry);
    const headers: Record<string, string> = {};
    if (this.options.webhookHmacKey) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers['x-webhook-timestamp'] = String(timestamp);
      headers['x-webhook-signature'] = webhookSignature(facts.taskId, timestamp, this.options.webhookHmacKey);
    }
    const body = callbackBody(facts, { consumeCredits: entry.consumeCredits, remainedCredits: entry.remainedCredits });
    const attempt = await this.post(entry.task.callBackUrl!, body, headers);
    entry.task.callbacks.push(attempt);
    this.changed(entry);
    return attempt;
  }

  private async post(url: string, body: unknown, headers: Record<string, string>): Promise<CallbackAttempt> {
    const at = new Date().toISOString();
    const request = (async (): Promise<CallbackAttempt> => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
          signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
        });
        await response.arrayBuffer();
        return { status: response.status, error: null, at };
      } catch (error) {
        return { status: null, error: describeFetchError(error, CALLBACK_TIMEOUT_MS, 'the KIE emulator stopped'), at };
      }
    })();
    this.inFlight.add(request);
    try {
      return await request;
    } finally {
      this.inFlight.delete(request);
    }
  }

  private facts(entry: Entry): TaskFacts {
    const { taskId, model, state, resultUrls, failMsg } = entry.task;
    return {
      taskId,
      model,
      state,
      param: entry.param,
      resultUrls,
      failMsg,
      createTime: entry.createTime,
      updateTime: entry.updateTime,
      completeTime: entry.completeTime,
    };
  }

  /** Offers the changed task to every waiter; a task forgotten by reset() is not offered. */
  private changed(entry: Entry): void {
    if (this.entries.get(entry.task.taskId) !== entry) return;
    this.waiters.offer(structuredClone(entry.task), structuredClone);
  }

  /** "3f2a…: success (1 callback), 9b1c…: generating", or "none". */
  private summary(): string {
    if (this.entries.size === 0) return 'none';
    return [...this.entries.values()]
      .map(({ task }) => `${task.taskId}: ${task.state}${task.callbacks.length > 0 ? ` (${task.callbacks.length} callback${task.callbacks.length === 1 ? '' : 's'})` : ''}`)
      .join(', ');
  }

  private controlBehaviour(request: FastifyRequest, reply: FastifyReply, target: 'queue' | 'default'): FastifyReply {
    const body = request.body;
    const problems = body instanceof BodyProblem ? [body.description] : behaviourProblems(body ?? null);
    if (problems.length > 0) return reply.code(400).send({ error: `invalid behaviour: ${problems.join('; ')}` });
    const behaviour = body as Partial<TaskBehaviour>;
    if (target === 'queue') {
      this.queueBehaviour(behaviour);
      return reply.send({ ok: true, queued: this.queued.length });
    }
    this.setDefaultBehaviour(behaviour);
    return reply.send({ ok: true, defaultBehaviour: this.defaultBehaviour });
  }

  private async controlCallback(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { taskId } = request.params as { taskId: string };
    try {
      return reply.send(await this.sendCallback(taskId));
    } catch (error) {
      if (!(error instanceof CallbackError)) throw error;
      const status = { 'unknown-task': 404, 'not-finished': 409, 'no-callback-url': 409, unreachable: 502 }[error.reason];
      return reply.code(status).send({ error: error.message });
    }
  }
}

/** The first thing wrong with a createTask body, in KIE's order (model, input, prompt), or null. */
function createTaskProblem(body: unknown): string | null {
  if (body instanceof BodyProblem) return body.description;
  if (!isPlainObject(body)) return `the request body must be a JSON object like ${CREATE_TASK_EXAMPLE}`;
  if (typeof body.model !== 'string' || body.model.trim() === '') return 'model is required';
  if (!isPlainObject(body.input)) return 'input is required';
  if (typeof body.input.prompt !== 'string' || body.input.prompt.trim() === '') return 'input.prompt is required';
  const callBackUrl = body.callBackUrl;
  if (callBackUrl !== undefined && callBackUrl !== null && callBackUrl !== '' && !isHttpUrl(callBackUrl)) {
    return `callBackUrl must be an http(s) URL, got ${JSON.stringify(callBackUrl)}`;
  }
  return null;
}

/** Every problem with a behaviour, so one round trip fixes them all. */
function behaviourProblems(value: unknown): string[] {
  if (!isPlainObject(value)) return ['expected an object like {"outcome":"fail","delayMs":200,"callback":true,"failMsg":"NSFW content detected"}'];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!(BEHAVIOUR_FIELDS as readonly string[]).includes(key)) problems.push(`unknown field "${key}"; the fields are ${BEHAVIOUR_FIELDS.join(', ')}`);
  }
  const { outcome, delayMs, callback, failMsg, neverFinish } = value;
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'fail') {
    problems.push(`outcome must be "success" or "fail", got ${JSON.stringify(outcome)}`);
  }
  if (delayMs !== undefined && (!Number.isInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > MAX_DELAY_MS)) {
    problems.push(`delayMs must be an integer from 0 to ${MAX_DELAY_MS}, got ${JSON.stringify(delayMs)}`);
  }
  for (const [name, flag] of [['callback', callback], ['neverFinish', neverFinish]] as const) {
    if (flag !== undefined && typeof flag !== 'boolean') problems.push(`${name} must be true or false, got ${JSON.stringify(flag)}`);
  }
  if (failMsg !== undefined && (typeof failMsg !== 'string' || failMsg.trim() === '')) {
    problems.push(`failMsg must be a non-empty string, got ${JSON.stringify(failMsg)}`);
  }
  return problems;
}

function assertBehaviour(behaviour: unknown): void {
  const problems = behaviourProblems(behaviour);
  if (problems.length > 0) throw new TypeError(`invalid behaviour: ${problems.join('; ')}`);
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
