/**
 * An in-memory double of the bot as `trt smoke` sees it over HTTP (SPEC §5, §8): /health, the
 * webhook with its secret check and dedupe, per-chat processing that ends in REPLY_SENT, the
 * generate flow with its ledger, the PASSIVE's notice and the admin API. It exists so each smoke
 * scenario can be shown to fail on exactly the break it guards against: every {@link Fault}
 * breaks one clause of the contract and nothing else, which the real bot cannot be made to do
 * on demand.
 *
 * Two fakes made with the same {@link FakeBotState} share one "database" (events, inbox, ledger,
 * chat state), like an ACTIVE and a PASSIVE on one PostgreSQL: an update the PASSIVE stores is
 * processed by the ACTIVE.
 *
 * @example
 * const state = createFakeState();
 * const active = await startFakeBot({ mode: 'ACTIVE', webhookSecret, adminSecret, shared: state });
 * const passive = await startFakeBot({ mode: 'PASSIVE', webhookSecret, adminSecret, shared: state, faults: ['passive-charges'] });
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearerToken, SECRET_HEADER, secretMatches } from '../../bot/http/auth.js';
import { PASSIVE_NOTICE, PASSIVE_PAYMENT_NOTICE } from '../../bot/telegram/texts.js';
import { checkUpdate } from '../../bot/telegram/update.js';

/**
 * One deliberate break each:
 * - `health-number-as-string`: /health serves `lock_idle_s` as the string "54.09".
 * - `health-missing-field`: /health leaves `migrations_applied` out.
 * - `health-500`: /health answers 500 with an error body.
 * - `no-reply-to-start`: `/start` is dispatched (DISPATCH_OK) but no REPLY_SENT is recorded.
 * - `pending-migration`: /admin/db/health reports `006_pending.sql` pending and schema_ready
 *   false; /health says db_schema_ready false.
 * - `slow-webhook`: every /webhook answer is sent 800 ms late.
 * - `no-secret-check`: /webhook accepts any or no secret and records the update.
 * - `duplicates-processed-twice`: no dedupe: every delivery is UPDATE_RECEIVED and processed.
 * - `crash-on-malformed`: an invalid update kills the "process": the socket is destroyed without
 *   an answer, nothing is recorded, and the service restarts at once (uptime from 0; the state
 *   survives, as it would in a database).
 * - `passive-charges`: a PASSIVE behaves like an ACTIVE that believes it holds the lock: no
 *   "updating" notice (no PASSIVE_REJECT), and it processes what it stores, so it answers the
 *   queries itself, generates and charges. /health still says PASSIVE.
 */
export const FAULTS = [
  'health-number-as-string',
  'health-missing-field',
  'health-500',
  'no-reply-to-start',
  'pending-migration',
  'slow-webhook',
  'no-secret-check',
  'duplicates-processed-twice',
  'crash-on-malformed',
  'passive-charges',
] as const;
export type Fault = (typeof FAULTS)[number];

export type FakeBotMode = 'ACTIVE' | 'PASSIVE';

export interface FakeModel {
  id: string;
  price: number;
}

export interface FakeBotOptions {
  mode: FakeBotMode;
  webhookSecret: string;
  adminSecret: string;
  faults?: readonly Fault[];
  /** The "database" to use; a fresh one when absent. */
  shared?: FakeBotState;
  models?: readonly FakeModel[];
}

/** One event as GET /admin/events answers it. */
export interface FakeEvent {
  ts: string;
  event: string;
  level: 'info' | 'warn' | 'error';
  cid: string | null;
  update_id: number | null;
  chat_id: number | null;
  data: Record<string, unknown>;
}

export type LedgerKind = 'grant' | 'reserve' | 'capture' | 'release';

export interface FakeLedgerEntry {
  ts: string;
  chat_id: number;
  kind: LedgerKind;
  /** Signed: credits added (grant, release) or held (reserve, negative); capture is 0. */
  amount: number;
  ref: string;
  cid: string | null;
  generation_id: number | null;
}

export interface StoredUpdate {
  /** Delivery order, which breaks update_id ties when duplicates are (wrongly) stored. */
  seq: number;
  updateId: number;
  chatId: number | null;
  cid: string;
  kind: string;
  payload: Record<string, unknown>;
  /** A PASSIVE answered its callback or pre-checkout query: the ACTIVE must not answer again. */
  passiveAnswered: boolean;
  status: 'pending' | 'done';
}

export interface ChatState {
  modelId: string | null;
  prompt: string | null;
  awaiting: 'prompt' | 'confirm' | null;
}

/** What a PostgreSQL would hold: readable by tests for assertions. */
export interface FakeBotState {
  readonly events: FakeEvent[];
  readonly inbox: StoredUpdate[];
  readonly ledger: FakeLedgerEntry[];
  readonly chats: Map<number, ChatState>;
  nextGenerationId: number;
}

export interface FakeBot {
  url: string;
  mode: FakeBotMode;
  state: FakeBotState;
  /** How often the simulated process died and came back (crash-on-malformed). */
  restarts(): number;
  /**
   * Resolves once this instance has nothing left to do: no stored update it would process is
   * waiting and no generation is in flight. Lets a test count events without guessing a delay.
   */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops serving. A generation still in flight is dropped: its reservation stays uncaptured, as after a kill. */
  close(): Promise<void>;
}

const DEFAULT_MODELS: readonly FakeModel[] = [{ id: 'test/fast-image', price: 1 }];

/** Named like the real bot's migrations, so a report showing them reads as it would in production. */
export const FAKE_MIGRATIONS = ['001_migration_history.sql', '002_core.sql', '003_billing.sql', '004_inbox_queue.sql', '005_accounts_guard.sql'];
export const PENDING_MIGRATION = '006_pending.sql';

export const SLOW_WEBHOOK_MS = 800;
/** Processing starts this long after an update is stored: off the request path, like the job queue. */
const PROCESS_DELAY_MS = 5;
/** The KIE task "finishes" this long after it is created. */
const GENERATION_MS = 100;
const QUEUE_CAPACITY = 1000;
const BODY_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_EVENT_LIMIT = 100;
const MAX_EVENT_LIMIT = 1000;
const DEFAULT_CREDIT_ENTRIES = 50;
const MAX_CREDIT_ENTRIES = 200;
const LOCK_IDLE_S = 54.09;
const LOCK_HEARTBEAT_AGE_S = 1.5;
const LOCK_HOLDER_PID = 4242;
const FAKE_VERSION = '0.0.0-fake';

/** Updates a PASSIVE answers itself before the 200: the Bot API method and what the user is shown. */
const PASSIVE_ANSWERS = new Map([
  ['callback_query', { method: 'answerCallbackQuery', notice: PASSIVE_NOTICE }],
  ['pre_checkout_query', { method: 'answerPreCheckoutQuery', notice: PASSIVE_PAYMENT_NOTICE }],
]);

export function createFakeState(): FakeBotState {
  return { events: [], inbox: [], ledger: [], chats: new Map(), nextGenerationId: 1 };
}

/** The balance: the sum of the chat's ledger entries. */
export function balanceOf(state: FakeBotState, chatId: number): number {
  return state.ledger.filter((entry) => entry.chat_id === chatId).reduce((sum, entry) => sum + entry.amount, 0);
}

/** Instances that process from a state, told when an update is stored there (LISTEN/NOTIFY). */
const processorsOf = new WeakMap<FakeBotState, Set<() => void>>();

function processors(state: FakeBotState): Set<() => void> {
  let set = processorsOf.get(state);
  if (!set) {
    set = new Set();
    processorsOf.set(state, set);
  }
  return set;
}

interface Flow {
  cid: string;
  updateId: number;
  chatId: number | null;
}

class FakeBotInstance {
  readonly state: FakeBotState;
  private readonly faults: ReadonlySet<Fault>;
  private readonly models: readonly FakeModel[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private startedAt = Date.now();
  private totals = newTotals();
  private restartCount = 0;
  private generationsInFlight = 0;
  private closed = false;
  private readonly wake = () => this.schedule();

  constructor(private readonly options: FakeBotOptions) {
    this.state = options.shared ?? createFakeState();
    this.faults = new Set(options.faults ?? []);
    this.models = options.models ?? DEFAULT_MODELS;
    if (this.processes()) {
      processors(this.state).add(this.wake);
      // A new lock holder resumes the work stored before it started.
      this.schedule();
    }
  }

  restarts(): number {
    return this.restartCount;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake-bot');
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    if (route === 'GET /health') return this.health(response);
    if (route === 'POST /webhook') return this.webhook(request, response);
    if (url.pathname.startsWith('/admin/')) {
      if (!secretMatches(bearerToken(request.headers.authorization), this.options.adminSecret)) {
        return send(response, 401, { error: 'admin routes need Authorization: Bearer <ADMIN_SECRET>' });
      }
      if (route === 'GET /admin/events') return this.events(url, response);
      if (route === 'GET /admin/db/health') return this.dbHealth(response);
      if (route === 'GET /admin/credits') return this.credits(url, response);
      if (route === 'POST /admin/credits') return this.grant(request, response);
    }
    send(response, 404, { error: `no route ${route}` });
  }

  close(): void {
    this.closed = true;
    processors(this.state).delete(this.wake);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.generationsInFlight = 0;
  }

  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.generationsInFlight > 0 || (this.processes() && this.state.inbox.some((row) => row.status === 'pending'))) {
      if (Date.now() > deadline) throw new Error(`the fake ${this.options.mode} still had work after ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  private has(fault: Fault): boolean {
    return this.faults.has(fault);
  }

  private processes(): boolean {
    return this.options.mode === 'ACTIVE' || this.has('passive-charges');
  }

  private schemaReady(): boolean {
    return !this.has('pending-migration');
  }

  private health(response: ServerResponse): void {
    if (this.has('health-500')) return send(response, 500, { status: 'error', error: 'health check failed: simulated internal error' });
    const depth = this.state.inbox.filter((row) => row.status === 'pending').length;
    const body: Record<string, unknown> = {
      status: this.schemaReady() ? 'ok' : 'degraded',
      version: FAKE_VERSION,
      uptime_s: Math.round((Date.now() - this.startedAt) / 100) / 10,
      active: this.options.mode === 'ACTIVE',
      lock_state: this.options.mode,
      lock_holder_pid: LOCK_HOLDER_PID,
      lock_idle_s: this.has('health-number-as-string') ? String(LOCK_IDLE_S) : LOCK_IDLE_S,
      lock_heartbeat_age_s: LOCK_HEARTBEAT_AGE_S,
      db_schema_ready: this.schemaReady(),
      migrations_applied: FAKE_MIGRATIONS.length,
      queue: {
        depth,
        capacity: QUEUE_CAPACITY,
        utilization_pct: Math.round((depth / QUEUE_CAPACITY) * 10000) / 100,
        total_received: this.totals.received,
        total_processed: this.totals.processed,
        total_duplicates: this.totals.duplicates,
        total_rejected: this.totals.rejected,
        backpressure_active: false,
      },
    };
    if (this.has('health-missing-field')) delete body.migrations_applied;
    send(response, 200, body);
  }

  private async webhook(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const answer = async (status: number, body: unknown) => {
      if (this.has('slow-webhook')) await sleep(SLOW_WEBHOOK_MS);
      send(response, status, body);
    };
    const presented = request.headers[SECRET_HEADER];
    if (!this.has('no-secret-check') && !secretMatches(typeof presented === 'string' ? presented : undefined, this.options.webhookSecret)) {
      return answer(401, { ok: false, error: 'wrong or missing X-Telegram-Bot-Api-Secret-Token' });
    }
    const raw = await readBody(request);
    if (raw === null) return answer(413, { ok: false, error: `the body is over ${BODY_LIMIT_BYTES} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return answer(400, { ok: false, error: 'the body is not valid JSON' });
    }

    const cid = newCid();
    const check = checkUpdate(body);
    if (!check.ok) {
      if (this.has('crash-on-malformed')) {
        request.socket.destroy();
        this.restart();
        return;
      }
      this.record({ event: 'UPDATE_INVALID', level: 'warn', cid, update_id: check.updateId, chat_id: null, data: { reason: check.reason } });
      return answer(200, { ok: true, cid, status: 'invalid' });
    }

    const original = this.has('duplicates-processed-twice') ? undefined : this.state.inbox.find((row) => row.updateId === check.updateId);
    if (original) {
      this.totals.duplicates += 1;
      this.record({ event: 'UPDATE_DUPLICATE', level: 'info', cid: original.cid, update_id: check.updateId, chat_id: check.chatId, data: { kind: check.kind } });
      return answer(200, { ok: true, cid: original.cid, status: 'duplicate' });
    }

    const passiveAnswer = this.processes() ? undefined : PASSIVE_ANSWERS.get(check.kind);
    this.state.inbox.push({
      seq: this.state.inbox.length,
      updateId: check.updateId,
      chatId: check.chatId,
      cid,
      kind: check.kind,
      payload: body as Record<string, unknown>,
      passiveAnswered: passiveAnswer !== undefined,
      status: 'pending',
    });
    this.totals.received += 1;
    const flow: Flow = { cid, updateId: check.updateId, chatId: check.chatId };
    this.record({ event: 'UPDATE_RECEIVED', level: 'info', ...flowFields(flow), data: { kind: check.kind } });
    if (passiveAnswer !== undefined) {
      this.reply(flow, passiveAnswer.method);
      const elapsedMs = Math.round((performance.now() - started) * 10) / 10;
      this.record({ event: 'PASSIVE_REJECT', level: 'info', ...flowFields(flow), data: { kind: check.kind, answered: true, elapsed_ms: elapsedMs, notice: passiveAnswer.notice } });
    }
    for (const wake of processors(this.state)) wake();
    return answer(200, { ok: true, cid, status: 'stored' });
  }

  /** The process died and was started again: memory (uptime, counters) is gone, the database is not. */
  private restart(): void {
    this.startedAt = Date.now();
    this.totals = newTotals();
    this.restartCount += 1;
  }

  private schedule(): void {
    if (this.closed) return;
    this.later(PROCESS_DELAY_MS, () => this.drain());
  }

  private later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) work();
    }, ms);
    this.timers.add(timer);
  }

  /** In update_id order, which keeps every chat's updates in order. */
  private drain(): void {
    const pending = this.state.inbox.filter((row) => row.status === 'pending').sort((a, b) => a.updateId - b.updateId || a.seq - b.seq);
    for (const row of pending) {
      const flow: Flow = { cid: row.cid, updateId: row.updateId, chatId: row.chatId };
      this.dispatch(row, flow);
      row.status = 'done';
      this.totals.processed += 1;
      this.record({ event: 'DISPATCH_OK', level: 'info', ...flowFields(flow), data: {} });
    }
  }

  private dispatch(row: StoredUpdate, flow: Flow): void {
    const content = objectField(row.payload, row.kind);
    if (row.kind === 'message') return this.onMessage(flow, content);
    if (row.kind === 'callback_query') {
      if (!row.passiveAnswered) this.reply(flow, 'answerCallbackQuery');
      return this.onCallback(flow, typeof content.data === 'string' ? content.data : '');
    }
    if (row.kind === 'pre_checkout_query' && !row.passiveAnswered) this.reply(flow, 'answerPreCheckoutQuery');
  }

  private onMessage(flow: Flow, message: Record<string, unknown>): void {
    const text = typeof message.text === 'string' ? message.text : null;
    const command = text?.startsWith('/') ? text.slice(1).split(/[\s@]/, 1)[0] : null;
    if (command === 'start') {
      if (!this.has('no-reply-to-start')) this.reply(flow, 'sendMessage');
      return;
    }
    const chat = flow.chatId === null ? undefined : this.state.chats.get(flow.chatId);
    if (text !== null && command === null && flow.chatId !== null && chat?.awaiting === 'prompt' && chat.modelId !== null) {
      this.state.chats.set(flow.chatId, { modelId: chat.modelId, prompt: text.trim(), awaiting: 'confirm' });
    }
    this.reply(flow, 'sendMessage');
  }

  private onCallback(flow: Flow, data: string): void {
    const chatId = flow.chatId;
    if (chatId === null) return;
    if (data.startsWith('model:')) {
      const model = this.models.find((candidate) => candidate.id === data.slice('model:'.length));
      if (model) this.state.chats.set(chatId, { modelId: model.id, prompt: null, awaiting: 'prompt' });
      this.reply(flow, 'sendMessage');
      return;
    }
    if (data === 'gen:cancel') {
      this.state.chats.delete(chatId);
      this.reply(flow, 'sendMessage');
      return;
    }
    if (data === 'gen:confirm') return this.confirm(flow, chatId);
    this.reply(flow, 'sendMessage');
  }

  private confirm(flow: Flow, chatId: number): void {
    const chat = this.state.chats.get(chatId);
    const model = chat?.awaiting === 'confirm' ? this.models.find((candidate) => candidate.id === chat.modelId) : undefined;
    if (!chat || !model) {
      this.reply(flow, 'sendMessage');
      return;
    }
    // Taken out of the state first, as the real bot does: a second confirm finds nothing.
    this.state.chats.set(chatId, { modelId: model.id, prompt: null, awaiting: null });
    const balance = balanceOf(this.state, chatId);
    if (balance < model.price) {
      this.record({ event: 'GENERATION_REFUSED', level: 'info', ...flowFields(flow), data: { reason: 'insufficient', price: model.price, balance } });
      this.reply(flow, 'sendMessage');
      return;
    }
    const generationId = this.state.nextGenerationId++;
    this.addEntry({ chat_id: chatId, kind: 'reserve', amount: -model.price, ref: `reserve:${generationId}`, cid: flow.cid, generation_id: generationId });
    this.record({ event: 'GENERATION_RESERVED', level: 'info', ...flowFields(flow), data: { generation_id: generationId, model: model.id, price: model.price, balance: balanceOf(this.state, chatId) } });
    this.record({ event: 'KIE_TASK_CREATED', level: 'info', ...flowFields(flow), data: { generation_id: generationId, task_id: `fake-task-${generationId}` } });
    this.reply(flow, 'sendMessage');
    this.generationsInFlight += 1;
    this.later(GENERATION_MS, () => {
      this.generationsInFlight -= 1;
      this.addEntry({ chat_id: chatId, kind: 'capture', amount: 0, ref: `capture:${generationId}`, cid: flow.cid, generation_id: generationId });
      this.record({ event: 'GENERATION_CAPTURED', level: 'info', ...flowFields(flow), data: { generation_id: generationId, price: model.price } });
      this.reply(flow, 'sendPhoto');
    });
  }

  private reply(flow: Flow, method: string): void {
    this.record({ event: 'REPLY_SENT', level: 'info', ...flowFields(flow), data: { method } });
  }

  private record(event: Omit<FakeEvent, 'ts'>): void {
    this.state.events.push({ ts: new Date().toISOString(), ...event });
  }

  /** Idempotent by ref: false when an entry with that ref is already in the ledger. */
  private addEntry(entry: Omit<FakeLedgerEntry, 'ts'>): boolean {
    if (this.state.ledger.some((existing) => existing.ref === entry.ref)) return false;
    this.state.ledger.push({ ts: new Date().toISOString(), ...entry });
    return true;
  }

  private events(url: URL, response: ServerResponse): void {
    const query = url.searchParams;
    const updateId = optionalInteger(query.get('update_id'));
    const limit = optionalInteger(query.get('limit'));
    const cid = query.get('cid');
    const since = query.get('since');
    const sinceMs = since === null ? null : Date.parse(since);
    if (updateId === undefined || (updateId !== null && updateId < 0)) return send(response, 400, { error: 'update_id must be a non-negative integer' });
    if (limit === undefined || (limit !== null && (limit < 1 || limit > MAX_EVENT_LIMIT))) return send(response, 400, { error: `limit must be an integer from 1 to ${MAX_EVENT_LIMIT}` });
    if (cid !== null && (cid.length === 0 || cid.length > 64)) return send(response, 400, { error: 'cid must be 1 to 64 characters' });
    if (sinceMs !== null && Number.isNaN(sinceMs)) return send(response, 400, { error: 'since must be an ISO 8601 date-time' });
    const events = this.state.events
      .filter((event) => (updateId === null || event.update_id === updateId) && (cid === null || event.cid === cid) && (sinceMs === null || Date.parse(event.ts) >= sinceMs))
      .slice(0, limit ?? DEFAULT_EVENT_LIMIT);
    send(response, 200, { events });
  }

  private dbHealth(response: ServerResponse): void {
    const started = performance.now();
    const pending = this.schemaReady() ? [] : [PENDING_MIGRATION];
    send(response, 200, {
      connected: true,
      schema_ready: this.schemaReady(),
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
      migrations: { applied: [...FAKE_MIGRATIONS], pending },
    });
  }

  private credits(url: URL, response: ServerResponse): void {
    const chatId = optionalInteger(url.searchParams.get('chat_id'));
    const limit = optionalInteger(url.searchParams.get('limit'));
    if (chatId === undefined || chatId === null) return send(response, 400, { error: 'chat_id must be an integer' });
    if (limit === undefined || (limit !== null && (limit < 1 || limit > MAX_CREDIT_ENTRIES))) return send(response, 400, { error: `limit must be an integer from 1 to ${MAX_CREDIT_ENTRIES}` });
    const entries = this.state.ledger
      .filter((entry) => entry.chat_id === chatId)
      .reverse()
      .slice(0, limit ?? DEFAULT_CREDIT_ENTRIES)
      .map(({ ts, kind, amount, ref, cid, generation_id }) => ({ ts, kind, amount, ref, cid, generation_id }));
    send(response, 200, { chat_id: chatId, balance: balanceOf(this.state, chatId), entries });
  }

  private async grant(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = raw === null ? null : JSON.parse(raw);
    } catch {
      body = null;
    }
    const grant = body as { chat_id?: unknown; amount?: unknown; ref?: unknown } | null;
    const valid =
      grant !== null &&
      isInteger(grant.chat_id) &&
      isInteger(grant.amount) &&
      grant.amount >= 1 &&
      grant.amount <= 1_000_000 &&
      typeof grant.ref === 'string' &&
      grant.ref.length >= 1 &&
      grant.ref.length <= 200;
    if (!valid) return send(response, 400, { error: 'the body must be { chat_id: integer, amount: integer 1..1000000, ref: string }' });
    const { chat_id: chatId, amount, ref } = grant as { chat_id: number; amount: number; ref: string };
    // The real bot namespaces admin refs the same way, so they never collide with payment refs.
    const applied = this.addEntry({ chat_id: chatId, kind: 'grant', amount, ref: `admin:${ref}`, cid: null, generation_id: null });
    const balance = balanceOf(this.state, chatId);
    if (applied) this.record({ event: 'CREDITS_GRANTED', level: 'info', cid: null, update_id: null, chat_id: chatId, data: { amount, ref, balance } });
    send(response, 200, { applied, balance });
  }
}

/** Starts a fake bot on 127.0.0.1 and a free port. */
export async function startFakeBot(options: FakeBotOptions): Promise<FakeBot> {
  const instance = new FakeBotInstance(options);
  const server = createServer((request, response) => {
    instance.handle(request, response).catch((error: unknown) => send(response, 500, { error: error instanceof Error ? error.message : String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mode: options.mode,
    state: instance.state,
    restarts: () => instance.restarts(),
    idle: (timeoutMs = 10_000) => instance.idle(timeoutMs),
    close: () => {
      instance.close();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function newTotals() {
  return { received: 0, processed: 0, duplicates: 0, rejected: 0 };
}

function flowFields(flow: Flow): Pick<FakeEvent, 'cid' | 'update_id' | 'chat_id'> {
  return { cid: flow.cid, update_id: flow.updateId, chat_id: flow.chatId };
}

/** 16 hex characters, like the real bot's cids. */
function newCid(): string {
  return randomBytes(8).toString('hex');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed || response.writableEnded) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The body as text, or null when it is over the limit. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > BODY_LIMIT_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** null when absent, undefined when present but not an integer. */
function optionalInteger(value: string | null): number | null | undefined {
  if (value === null) return null;
  return /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function objectField(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = record[key];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

