/**
 * Issue 4 check 7: any interleaving of concurrent generate clicks, callbacks and failures never
 * drives a balance negative, and the ledger always sums to the shown balance.
 *
 * What is real: PostgreSQL (a fresh database per run, cloned from a migrated template), the
 * GenerationService with its ledger, the KIE emulator over HTTP (createTask, recordInfo, its
 * callbacks), the bot's own POST /kie-callback route on Fastify, and KieClient. What stands in
 * for graphile-worker: the service's task functions (kie-submit, kie-poll, generation-notify)
 * are called directly, with the payload a job carries, by the operations below. Polls of one
 * generation may overlap, as they do in production (a callback while a poll job runs queues a
 * second one); the attempts of its single kie-submit job follow each other. The emulator calls
 * back only when an operation asks it to (sendCallback), after the task id is stored. Time is
 * controlled by moving a generation's deadline_at into the past. KIE failures are real too: a
 * KieClient with a wrong key (createTask refused, 401) and one pointed at a closed port
 * (unreachable, retryable).
 *
 * Each run: groups of operations, each group run with Promise.all while a watcher reads the
 * balances over and over; after every group the money invariants are checked; at the end every
 * open generation is driven to a final state and the outcome is compared with what the emulator
 * says happened.
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import type { JobHelpers } from 'graphile-worker';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addEntry, balanceOf, type EntryOutcome } from '../../../bot/billing/ledger.js';
import { createPool } from '../../../bot/db/pool.js';
import { KieClient, KieError } from '../../../bot/generation/kie.js';
import { parseModelRegistry } from '../../../bot/generation/models.js';
import { GENERATION_TASKS, GenerationService, type RequestOutcome } from '../../../bot/generation/service.js';
import { registerKieCallbackRoute } from '../../../bot/http/routes/kie-callback.js';
import { KieEmulator } from '../../../emulators/kie/server.js';
import { freePort } from '../../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../../support/postgres.js';
import { endPool, migrate } from './database.js';

const KIE_KEY = 'property-kie-key-0123456789';
const CALLBACK_SECRET = 'property-callback-secret';
const TEMPLATE = 'ledger_property_template';
const CHATS = [7_000_000_001, 7_000_000_002, 7_000_000_003] as const;
/** Grant refs 0–3 per chat; the ref fixes the amount, so a ref arriving twice means the same grant. */
const GRANT_AMOUNTS = [1, 2, 3, 5] as const;
const MODELS_YAML = `version: 1
models:
  - { id: m/one, title: One, kind: text-to-image, price_credits: 1, kie_model: google/imagen4-fast, input: {} }
  - { id: m/three, title: Three, kind: text-to-image, price_credits: 3, kie_model: google/nano-banana, input: { image_size: "1:1" } }
  - { id: m/off, title: Off, kind: text-to-image, price_credits: 2, kie_model: flux-2/flex-text-to-image, input: {}, enabled: false }
`;
const models = parseModelRegistry(MODELS_YAML, 'property-models.yaml');
const silent = pino({ level: 'silent' });
/** The tasks never touch graphile-worker's helpers: they act on the generation the payload names. */
const helpers = {} as JobHelpers;

type ModelId = 'm/one' | 'm/three' | 'm/off';
type TaskOutcome = 'success' | 'fail' | 'never';
type Operation =
  | { kind: 'grant'; chat: number; ref: number }
  | { kind: 'click'; chat: number; model: ModelId; ref: number }
  | { kind: 'submit'; pick: number }
  | { kind: 'submit-refused'; pick: number }
  | { kind: 'submit-unreachable'; pick: number }
  | { kind: 'callback'; pick: number; times: number }
  | { kind: 'poll'; pick: number }
  | { kind: 'forged'; pick: number; variant: 'bad-signature' | 'foreign-task' | 'unknown-generation' }
  | { kind: 'deadline'; pick: number };

interface Scenario {
  /** Credits each chat holds before the first group (0 leaves the chat without an account). */
  opening: number[];
  /** How the KIE tasks play out, in the order they are created; later ones succeed. */
  outcomes: TaskOutcome[];
  groups: Operation[][];
}

const chat = fc.nat({ max: CHATS.length - 1 });
/** Which existing generation an operation acts on: an index modulo the generations there are when its group starts. */
const pick = fc.nat({ max: 60 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('grant' as const), chat, ref: fc.nat({ max: GRANT_AMOUNTS.length - 1 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('click' as const), chat, model: fc.constantFrom<ModelId>('m/one', 'm/one', 'm/three', 'm/three', 'm/off'), ref: fc.nat({ max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('submit' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('submit-refused' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('submit-unreachable' as const), pick }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('callback' as const), pick, times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('poll' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forged' as const), pick, variant: fc.constantFrom('bad-signature' as const, 'foreign-task' as const, 'unknown-generation' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deadline' as const), pick }) },
);
const scenario: fc.Arbitrary<Scenario> = fc.record({
  opening: fc.array(fc.nat({ max: 8 }), { minLength: CHATS.length, maxLength: CHATS.length }),
  outcomes: fc.array(fc.constantFrom<TaskOutcome>('success', 'success', 'fail', 'never'), { maxLength: 30 }),
  groups: fc.array(fc.array(operation, { minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 8 }),
});

let postgres: TestPostgres;
let kie: KieEmulator;
let runs = 0;

beforeAll(async () => {
  postgres = await startTestPostgres();
  const template = createPool(await postgres.createDatabase(TEMPLATE), 'trt-test:template', silent);
  await migrate(template);
  // CREATE DATABASE … TEMPLATE needs the template without sessions.
  await endPool(template);
  kie = await KieEmulator.start({ apiKey: KIE_KEY, defaultBehaviour: { outcome: 'success', delayMs: 0, callback: false } });
});

afterAll(async () => {
  await kie?.stop();
  await postgres?.destroy();
});

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Everything one run works with, and what it did that the database cannot tell. */
interface World {
  pool: pg.Pool;
  service: GenerationService;
  refused: GenerationService;
  unreachable: GenerationService;
  publicUrl: string;
  /** Grant refs added, ref → amount: the credits each chat was given. */
  grants: Map<string, { chatId: number; amount: number }>;
  /** Every answer request() gave, by request ref. */
  requests: Map<string, RequestOutcome[]>;
  forged: number;
  notified: number[];
  /** Per generation, the kie-submit attempt running now: graphile-worker runs one job (job_key submit:<id>) at a time. */
  submitting: Map<number, Promise<void>>;
}

interface GenerationFacts {
  id: number;
  chatId: number;
  requestRef: string;
  price: number;
  state: 'reserved' | 'submitted' | 'succeeded' | 'failed' | 'expired';
  taskId: string | null;
  resultUrl: string | null;
  error: string | null;
}

async function generations(pool: pg.Pool): Promise<GenerationFacts[]> {
  const { rows } = await pool.query<GenerationFacts>(
    `SELECT id::int AS id, chat_id::float8 AS "chatId", request_ref AS "requestRef", price::int AS price, state, task_id AS "taskId",
            result_url AS "resultUrl", error
       FROM generations ORDER BY id`,
  );
  return rows;
}

function runTask(service: GenerationService, task: string, generationId: number): Promise<unknown> {
  return Promise.resolve(service.tasks()[task]!({ generation_id: generationId }, helpers));
}

/** Runs a kie-submit attempt after the one still running for the same generation, as the single submit job's attempts follow each other. */
async function asSubmitJob(world: World, generationId: number, attempt: () => Promise<unknown>): Promise<void> {
  const previous = world.submitting.get(generationId) ?? Promise.resolve();
  const mine = previous.then(attempt);
  world.submitting.set(generationId, mine.then(() => undefined, () => undefined));
  await mine;
}

function kieCallbackBody(taskId: string): Record<string, unknown> {
  // What a forger would send: a success with its own picture.
  return { code: 200, msg: 'Playground task completed successfully.', data: { taskId, state: 'success', resultJson: '{"resultUrls":["https://forger.example/x.png"]}' } };
}

async function perform(world: World, op: Operation, ids: number[]): Promise<void> {
  const { pool, service } = world;
  if (op.kind === 'grant') {
    const chatId = CHATS[op.chat]!;
    const ref = `grant:${chatId}:${op.ref}`;
    const amount = GRANT_AMOUNTS[op.ref]!;
    const outcome: EntryOutcome = await addEntry(pool, { chatId, kind: op.ref % 2 === 0 ? 'grant' : 'purchase', amount, ref, cid: `cid-${ref}` });
    expect(outcome).not.toBe('insufficient');
    if (outcome === 'added') world.grants.set(ref, { chatId, amount });
    return;
  }
  if (op.kind === 'click') {
    const chatId = CHATS[op.chat]!;
    const requestRef = `click:${chatId}:${op.ref}`;
    const outcome = await service.request({ chatId, cid: `cid-${requestRef}`, modelId: op.model, prompt: `a <fox> & "${requestRef}"`, requestRef });
    if (op.model === 'm/off') expect(outcome.outcome).toBe('unavailable');
    world.requests.set(requestRef, [...(world.requests.get(requestRef) ?? []), outcome]);
    return;
  }
  const id = ids.length === 0 ? undefined : ids[op.pick % ids.length];
  if (id === undefined) return;
  switch (op.kind) {
    case 'submit':
      await asSubmitJob(world, id, () => runTask(service, GENERATION_TASKS.submit, id));
      return;
    case 'submit-refused':
      await asSubmitJob(world, id, () => runTask(world.refused, GENERATION_TASKS.submit, id));
      return;
    case 'submit-unreachable':
      // A retryable failure leaves the generation as it was, for the job's next attempt.
      await asSubmitJob(world, id, () =>
        runTask(world.unreachable, GENERATION_TASKS.submit, id).catch((error: unknown) => {
          if (!(error instanceof KieError && error.retryable)) throw error;
        }),
      );
      return;
    case 'poll':
      await runTask(service, GENERATION_TASKS.poll, id);
      return;
    case 'callback': {
      const generation = await service.load(pool, id);
      const created = generation?.taskId ? kie.task(generation.taskId) : undefined;
      // KIE calls back only for a finished task; with no delay one finishes within milliseconds.
      if (!created || created.behaviour.neverFinish) return;
      const task = await kie.waitForTask((candidate) => candidate.taskId === created.taskId && (candidate.state === 'success' || candidate.state === 'fail'));
      await Promise.all(
        Array.from({ length: op.times }, async () => {
          const { status } = await kie.sendCallback(task.taskId);
          expect(status).toBe(200);
          // What the kie-poll job queued by the accepted callback does.
          await runTask(service, GENERATION_TASKS.poll, id);
        }),
      );
      return;
    }
    case 'forged': {
      const generation = await service.load(pool, id);
      let url: string;
      let taskId: string;
      if (op.variant === 'bad-signature') {
        url = `${world.publicUrl}/kie-callback?generation=${id}&sig=${'0'.repeat(32)}`;
        taskId = generation?.taskId ?? 'f'.repeat(32);
      } else if (op.variant === 'foreign-task') {
        // Someone else's real task id on this generation's genuine URL.
        const other = (await generations(pool)).find((row) => row.id !== id && row.taskId && row.taskId !== generation?.taskId);
        url = service.callbackUrl(id)!;
        taskId = other?.taskId ?? 'e'.repeat(32);
      } else {
        url = service.callbackUrl(id + 1_000_000)!;
        taskId = generation?.taskId ?? 'd'.repeat(32);
      }
      const { status } = await kie.sendRawCallback(url, kieCallbackBody(taskId));
      expect(status).toBe(403);
      world.forged++;
      return;
    }
    case 'deadline': {
      await pool.query(`UPDATE generations SET deadline_at = now() - interval '1 second' WHERE id = $1::bigint`, [id]);
      const generation = await service.load(pool, id);
      if (generation?.state === 'reserved') await asSubmitJob(world, id, () => runTask(service, GENERATION_TASKS.submit, id));
      else if (generation?.state === 'submitted') await runTask(service, GENERATION_TASKS.poll, id);
      return;
    }
  }
}

/** Negative balances and accounts that differ from their ledger, read in one statement (one snapshot). */
async function balanceProblems(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ chat_id: string; account: string | null; ledger: string | null }>(
    `SELECT COALESCE(a.chat_id, l.chat_id)::text AS chat_id, a.balance::text AS account, l.total::text AS ledger
       FROM credit_accounts a FULL JOIN (SELECT chat_id, sum(amount) AS total FROM credit_ledger GROUP BY chat_id) l ON l.chat_id = a.chat_id
      WHERE a.balance IS DISTINCT FROM l.total OR a.balance < 0 OR l.total < 0`,
  );
  return rows.map((row) => `chat ${row.chat_id}: credit_accounts says ${row.account}, the ledger sums to ${row.ledger}`);
}

/** Runs `work` while reading balanceProblems over and over, so "always" includes the moments in between. */
async function watchingBalances(pool: pg.Pool, work: () => Promise<unknown>): Promise<string[]> {
  let running = true;
  const seen = new Set<string>();
  const watcher = (async () => {
    do {
      for (const problem of await balanceProblems(pool)) seen.add(problem);
    } while (running);
  })();
  try {
    await work();
  } finally {
    running = false;
    await watcher;
  }
  return [...seen];
}

/** Every way the money and the generations disagree; empty when all is well. */
async function moneyProblems(world: World): Promise<string[]> {
  const { pool } = world;
  const problems = await balanceProblems(pool);

  const orphans = await pool.query<{ ref: string }>(
    `SELECT ref FROM credit_ledger l WHERE kind IN ('reserve', 'capture', 'release') AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.id = l.generation_id)`,
  );
  for (const row of orphans.rows) problems.push(`ledger entry ${row.ref} belongs to no generation`);

  const rows = await generations(pool);
  const entries = await pool.query<{ generation_id: number; chat_id: number; kind: string; amount: number }>(
    `SELECT generation_id::int, chat_id::float8 AS chat_id, kind, amount::int FROM credit_ledger WHERE generation_id IS NOT NULL ORDER BY id`,
  );
  for (const generation of rows) {
    const mine = entries.rows.filter((entry) => entry.generation_id === generation.id);
    const of = (kind: string) => mine.filter((entry) => entry.kind === kind);
    const label = `generation ${generation.id} (${generation.state}, price ${generation.price})`;
    if (mine.some((entry) => entry.chat_id !== generation.chatId)) problems.push(`${label}: an entry is on another chat`);
    if (of('reserve').length !== 1 || of('reserve')[0]!.amount !== -generation.price) problems.push(`${label}: reserves ${JSON.stringify(of('reserve'))}, expected one of ${-generation.price}`);
    const settled = [...of('capture'), ...of('release')];
    const open = generation.state === 'reserved' || generation.state === 'submitted';
    if (open && settled.length > 0) problems.push(`${label}: open but settled by ${JSON.stringify(settled)}`);
    if (generation.state === 'succeeded' && (settled.length !== 1 || of('capture').length !== 1 || of('capture')[0]!.amount !== 0)) {
      problems.push(`${label}: expected exactly one capture of 0, got ${JSON.stringify(settled)}`);
    }
    if ((generation.state === 'failed' || generation.state === 'expired') && (settled.length !== 1 || of('release').length !== 1 || of('release')[0]!.amount !== generation.price)) {
      problems.push(`${label}: expected exactly one release of ${generation.price}, got ${JSON.stringify(settled)}`);
    }
  }

  for (const chatId of CHATS) {
    const granted = [...world.grants.values()].filter((grant) => grant.chatId === chatId).reduce((sum, grant) => sum + grant.amount, 0);
    const mine = rows.filter((generation) => generation.chatId === chatId);
    const held = mine.filter((generation) => generation.state === 'reserved' || generation.state === 'submitted').reduce((sum, generation) => sum + generation.price, 0);
    const captured = mine.filter((generation) => generation.state === 'succeeded').reduce((sum, generation) => sum + generation.price, 0);
    const released = entries.rows.filter((entry) => entry.chat_id === chatId && entry.kind === 'release').reduce((sum, entry) => sum + entry.amount, 0);
    const releasable = mine.filter((generation) => generation.state === 'failed' || generation.state === 'expired').reduce((sum, generation) => sum + generation.price, 0);
    const shown = await balanceOf(pool, chatId);
    const account = await pool.query<{ balance: number }>('SELECT balance::float8 AS balance FROM credit_accounts WHERE chat_id = $1::bigint', [chatId]);
    if (shown !== (account.rows[0]?.balance ?? 0)) problems.push(`chat ${chatId}: balanceOf ${shown} ≠ credit_accounts ${account.rows[0]?.balance}`);
    if (shown !== granted - held - captured) problems.push(`chat ${chatId}: balance ${shown} ≠ granted ${granted} − held ${held} − captured ${captured}`);
    if (released !== releasable) problems.push(`chat ${chatId}: released ${released} ≠ prices of failed and expired generations ${releasable}`);
  }

  const started = new Map<string, number[]>();
  for (const [ref, outcomes] of world.requests) {
    const ids = outcomes.flatMap((outcome) => (outcome.outcome === 'started' ? [outcome.generationId] : []));
    if (ids.length > 0) started.set(ref, ids);
  }
  for (const [ref, ids] of started) if (ids.length !== 1) problems.push(`request ${ref} started ${ids.length} generations`);
  const byRef = new Map(rows.map((generation) => [generation.requestRef, generation.id]));
  for (const [ref, id] of byRef) if (started.get(ref)?.[0] !== id) problems.push(`generation ${id} (${ref}) exists, but no click reported starting it`);
  for (const [ref, ids] of started) if (!byRef.has(ref)) problems.push(`click ${ref} reported starting generation ${ids[0]}, which does not exist`);
  return problems;
}

/** Drives every open generation to its end, as the jobs and the deadline eventually would. */
async function drain(world: World): Promise<void> {
  const { pool, service } = world;
  for (let round = 0; round < 10; round++) {
    const open = (await generations(pool)).filter((generation) => generation.state === 'reserved' || generation.state === 'submitted');
    if (open.length === 0) return;
    await Promise.all(
      open.map(async (generation) => {
        if (generation.state === 'reserved') return runTask(service, GENERATION_TASKS.submit, generation.id);
        const task = kie.task(generation.taskId!);
        if (!task || task.behaviour.neverFinish) {
          await pool.query(`UPDATE generations SET deadline_at = now() - interval '1 second' WHERE id = $1::bigint`, [generation.id]);
        } else {
          await kie.waitForTask((candidate) => candidate.taskId === task.taskId && (candidate.state === 'success' || candidate.state === 'fail'));
        }
        return runTask(service, GENERATION_TASKS.poll, generation.id);
      }),
    );
  }
  throw new Error(`generations still open after 10 rounds: ${JSON.stringify((await generations(pool)).filter((g) => g.state === 'reserved' || g.state === 'submitted'))}`);
}

/** The end of every generation agrees with what the KIE emulator says happened to its task. */
async function endingProblems(world: World): Promise<string[]> {
  const problems: string[] = [];
  const rows = await generations(world.pool);
  for (const generation of rows) {
    const task = generation.taskId ? kie.task(generation.taskId) : undefined;
    const label = `generation ${generation.id} (${generation.state}, task ${generation.taskId ?? 'none'}: ${task?.state ?? '-'})`;
    if (generation.resultUrl?.includes('forger.example')) problems.push(`${label}: took the forged result ${generation.resultUrl}`);
    if (generation.state === 'succeeded' && (task?.state !== 'success' || generation.resultUrl !== task.resultUrls[0])) problems.push(`${label}: succeeded without a successful KIE task`);
    if (generation.state === 'failed' && task && (task.state !== 'fail' || generation.error !== task.failMsg)) problems.push(`${label}: failed, but KIE says ${task.state} (${generation.error})`);
    if (generation.state === 'failed' && !task && !/401/.test(generation.error ?? '')) problems.push(`${label}: failed without a task, not for a refused createTask (${generation.error})`);
    if (generation.state === 'expired' && !/deadline/.test(generation.error ?? '')) problems.push(`${label}: expired for ${generation.error}`);
    if (generation.state === 'reserved' || generation.state === 'submitted') problems.push(`${label}: still open after the drain`);
  }
  const notifiedTwice = world.notified.filter((id, index) => world.notified.indexOf(id) !== index);
  if (notifiedTwice.length > 0) problems.push(`notified more than once: ${notifiedTwice.join(', ')}`);
  const unnotified = rows.filter((generation) => !world.notified.includes(generation.id)).map((generation) => generation.id);
  if (unnotified.length > 0) problems.push(`never notified: ${unnotified.join(', ')}`);
  const rejected = await world.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM app_events WHERE event = 'KIE_CALLBACK_REJECTED'`);
  if (rejected.rows[0]!.n !== world.forged) problems.push(`${world.forged} forged callbacks sent, ${rejected.rows[0]!.n} KIE_CALLBACK_REJECTED recorded`);
  return problems;
}

async function runScenario(input: Scenario): Promise<void> {
  const name = `ledger_property_${++runs}`;
  await admin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(TEMPLATE)}`));
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  // Up to 10 operations at once, each a transaction plus a second connection for the balance read.
  const pool = createPool(url.toString(), `trt-test:${name}`, silent, 30);
  let app: FastifyInstance | undefined;
  try {
    kie.reset();
    for (const outcome of input.outcomes) {
      kie.queueBehaviour(outcome === 'never' ? { neverFinish: true } : { outcome, ...(outcome === 'fail' ? { failMsg: 'NSFW content detected' } : {}) });
    }
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const serviceWith = (kieClient: KieClient) =>
      new GenerationService({ pool, log: silent, kie: kieClient, models, publicUrl, callbackSecret: CALLBACK_SECRET, deadlineS: 3600, pollIntervalS: 1 });
    const world: World = {
      pool,
      publicUrl,
      service: serviceWith(new KieClient({ apiRoot: kie.apiRoot, apiKey: KIE_KEY })),
      refused: serviceWith(new KieClient({ apiRoot: kie.apiRoot, apiKey: 'a-key-kie-does-not-know' })),
      unreachable: serviceWith(new KieClient({ apiRoot: `http://127.0.0.1:${await freePort()}`, apiKey: KIE_KEY, timeoutMs: 2000 })),
      grants: new Map(),
      requests: new Map(),
      forged: 0,
      notified: [],
      submitting: new Map(),
    };
    world.service.setNotifier(async (generation) => {
      world.notified.push(generation.id);
    });
    app = Fastify({ logger: false });
    registerKieCallbackRoute(app, { generation: world.service, log: silent });
    await app.listen({ port, host: '127.0.0.1' });
    expect((app.server.address() as AddressInfo).port).toBe(port);

    for (const [index, credits] of input.opening.entries()) {
      if (credits === 0) continue;
      const chatId = CHATS[index]!;
      await addEntry(pool, { chatId, kind: 'grant', amount: credits, ref: `opening:${chatId}`, cid: null });
      world.grants.set(`opening:${chatId}`, { chatId, amount: credits });
    }
    for (const [index, group] of input.groups.entries()) {
      const ids = (await generations(pool)).map((generation) => generation.id);
      const seen = await watchingBalances(pool, () => Promise.all(group.map((op) => perform(world, op, ids))));
      expect(seen, `while group ${index + 1} of ${input.groups.length} ran`).toEqual([]);
      expect(await moneyProblems(world), `after group ${index + 1} of ${input.groups.length}`).toEqual([]);
    }
    await drain(world);
    for (const generation of await generations(pool)) {
      // Twice, as a retried job would: the user hears of each outcome once.
      await runTask(world.service, GENERATION_TASKS.notify, generation.id);
      await runTask(world.service, GENERATION_TASKS.notify, generation.id);
    }
    expect(await moneyProblems(world), 'after the drain').toEqual([]);
    expect(await endingProblems(world), 'at the end').toEqual([]);
  } finally {
    await app?.close();
    await endPool(pool);
    await admin((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(name)}`));
  }
}

it('keeps every balance ≥ 0 and equal to its ledger under any interleaving of clicks, callbacks and failures (issue 4 check 7)', async () => {
  await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: 25 });
}, 300_000);
