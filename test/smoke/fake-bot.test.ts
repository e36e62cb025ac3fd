/**
 * The fake bot the smoke scenarios are tested against must itself be right: healthy, it keeps
 * the contract the real bot keeps (a scenario failing against it would be the scenario's bug);
 * with a fault, it breaks exactly the one clause the fault names (a second break would let a
 * scenario pass its "fails on X" test for the wrong reason).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSIVE_NOTICE, PASSIVE_PAYMENT_NOTICE } from '../../bot/telegram/texts.js';
import { REPO } from '../cli/run.js';
import { callbackUpdate, eventually, freePort, postUpdate, sleep, textUpdate } from '../support/bot.js';
import {
  balanceOf,
  createFakeState,
  FAKE_MIGRATIONS,
  FAULTS,
  PENDING_MIGRATION,
  SLOW_WEBHOOK_MS,
  startFakeBot,
  type FakeBot,
  type FakeBotOptions,
  type FakeEvent,
  type Fault,
} from '../support/fake-bot.js';

const WEBHOOK_SECRET = 'fake-webhook-secret';
const ADMIN_SECRET = 'fake-admin-secret';
const CHAT = 990000001;
const MODEL = 'test/fast-image';

const healthSchema = JSON.parse(readFileSync(join(REPO, 'schemas', 'health.schema.json'), 'utf8')) as object;
const validHealth = new Ajv2020({ allErrors: true, strict: true }).compile(healthSchema);

const running: FakeBot[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((bot) => bot.close()));
});

async function fake(options: Partial<FakeBotOptions> = {}): Promise<FakeBot> {
  const bot = await startFakeBot({ mode: 'ACTIVE', webhookSecret: WEBHOOK_SECRET, adminSecret: ADMIN_SECRET, ...options });
  running.push(bot);
  return bot;
}

let nextUpdateId = 1_000_000_000_000;
const updateId = () => nextUpdateId++;

async function post(bot: FakeBot, update: unknown, secret: string | null = WEBHOOK_SECRET): Promise<{ status: number; body: { ok?: boolean; cid?: string; status?: string } }> {
  const { status, body } = await postUpdate(bot.url, update, secret);
  return { status, body: body === '' ? {} : (JSON.parse(body) as { ok?: boolean; cid?: string; status?: string }) };
}

async function admin<T>(bot: FakeBot, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${bot.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? ADMIN_SECRET}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function eventsOf(bot: FakeBot, id: number): Promise<FakeEvent[]> {
  const { status, body } = await admin<{ events: FakeEvent[] }>(bot, `/admin/events?update_id=${id}`);
  expect(status).toBe(200);
  return body.events;
}

const names = (events: FakeEvent[]) => events.map((event) => event.event);

async function health(bot: FakeBot): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${bot.url}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function grant(bot: FakeBot, amount: number, ref: string): Promise<{ applied: boolean; balance: number }> {
  const { status, body } = await admin<{ applied: boolean; balance: number }>(bot, '/admin/credits', { method: 'POST', body: { chat_id: CHAT, amount, ref } });
  expect(status).toBe(200);
  return body;
}

/** Picks the model, sends the prompt, confirms: the update id of the confirm. */
async function generate(bot: FakeBot, chat = CHAT): Promise<number> {
  expect((await post(bot, callbackUpdate(updateId(), chat, `model:${MODEL}`))).status).toBe(200);
  expect((await post(bot, textUpdate(updateId(), chat, 'a red fox'))).status).toBe(200);
  const confirm = updateId();
  expect((await post(bot, callbackUpdate(confirm, chat, 'gen:confirm'))).status).toBe(200);
  return confirm;
}

describe('the healthy fake', () => {
  it('answers /health with a body valid against the schema, numbers as JSON numbers', async () => {
    const bot = await fake();
    const { status, body } = await health(bot);
    expect(status).toBe(200);
    expect(validHealth(body), JSON.stringify(validHealth.errors)).toBe(true);
    expect(body).toMatchObject({ status: 'ok', active: true, lock_state: 'ACTIVE', db_schema_ready: true, migrations_applied: FAKE_MIGRATIONS.length });

    const passive = await fake({ mode: 'PASSIVE' });
    const standby = await health(passive);
    expect(validHealth(standby.body), JSON.stringify(validHealth.errors)).toBe(true);
    expect(standby.body).toMatchObject({ active: false, lock_state: 'PASSIVE' });
  });

  it('refuses a missing or wrong secret with 401 and records nothing', async () => {
    const bot = await fake();
    const missing = updateId();
    const wrong = updateId();
    expect((await post(bot, textUpdate(missing, CHAT, '/start'), null)).status).toBe(401);
    expect((await post(bot, textUpdate(wrong, CHAT, '/start'), 'not-the-secret')).status).toBe(401);
    expect(await eventsOf(bot, missing)).toEqual([]);
    expect(await eventsOf(bot, wrong)).toEqual([]);
    expect(bot.state.inbox).toEqual([]);
  });

  it('replies to /start, with one cid from UPDATE_RECEIVED to REPLY_SENT', async () => {
    const bot = await fake();
    const id = updateId();
    const answer = await post(bot, textUpdate(id, CHAT, '/start'));
    expect(answer).toMatchObject({ status: 200, body: { ok: true, status: 'stored' } });
    const events = await eventually('REPLY_SENT for /start', async () => {
      const seen = await eventsOf(bot, id);
      return seen.some((event) => event.event === 'DISPATCH_OK') ? seen : undefined;
    });
    expect(names(events)).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'DISPATCH_OK']);
    expect(events[1]!.data).toEqual({ method: 'sendMessage' });
    for (const event of events) {
      expect(event).toMatchObject({ cid: answer.body.cid, update_id: id, chat_id: CHAT });
      expect(event.cid).toMatch(/^[0-9a-f]{16}$/);
      expect(new Date(event.ts).toISOString()).toBe(event.ts);
    }
  });

  it('stores a repeated update once and processes it once', async () => {
    const bot = await fake();
    const id = updateId();
    const first = await post(bot, textUpdate(id, CHAT, '/start'));
    const repeats = await Promise.all([1, 2, 3].map(() => post(bot, textUpdate(id, CHAT, '/start'))));
    for (const repeat of repeats) expect(repeat).toMatchObject({ status: 200, body: { status: 'duplicate', cid: first.body.cid } });
    await bot.idle();
    const events = await eventsOf(bot, id);
    expect(names(events).filter((name) => name === 'UPDATE_RECEIVED')).toHaveLength(1);
    expect(names(events).filter((name) => name === 'UPDATE_DUPLICATE')).toHaveLength(3);
    expect(names(events).filter((name) => name === 'DISPATCH_OK')).toHaveLength(1);
    expect((await health(bot)).body.queue).toMatchObject({ total_received: 1, total_duplicates: 3, total_processed: 1, depth: 0 });
  });

  it('answers a malformed update 200 and records UPDATE_INVALID with its cid and update_id', async () => {
    const bot = await fake();
    const id = updateId();
    const answer = await post(bot, { update_id: id, message: { message_id: 'x', chat: { id: 'not-a-number' }, text: 42 } });
    expect(answer).toMatchObject({ status: 200, body: { status: 'invalid' } });
    const events = await eventsOf(bot, id);
    expect(names(events)).toEqual(['UPDATE_INVALID']);
    expect(events[0]).toMatchObject({ cid: answer.body.cid, level: 'warn', data: { reason: expect.any(String) } });
    expect(bot.restarts()).toBe(0);
  });

  it('records nothing but DISPATCH_OK for an edited message', async () => {
    const bot = await fake();
    const id = updateId();
    await post(bot, { update_id: id, edited_message: { message_id: 1, date: 0, edit_date: 1, chat: { id: CHAT, type: 'private' }, text: 'edited' } });
    await bot.idle();
    expect(names(await eventsOf(bot, id))).toEqual(['UPDATE_RECEIVED', 'DISPATCH_OK']);
  });

  it('generates once: reserve, capture and the photo under the confirm’s cid, the balance debited once', async () => {
    const bot = await fake();
    expect(await grant(bot, 3, 'fund')).toEqual({ applied: true, balance: 3 });
    expect(await grant(bot, 3, 'fund')).toEqual({ applied: false, balance: 3 });

    const confirm = await generate(bot);
    await bot.idle();
    await post(bot, callbackUpdate(confirm, CHAT, 'gen:confirm'));
    const again = updateId();
    await post(bot, callbackUpdate(again, CHAT, 'gen:confirm'));
    await bot.idle();

    const events = await eventsOf(bot, confirm);
    expect(names(events)).toEqual([
      'UPDATE_RECEIVED',
      'REPLY_SENT',
      'GENERATION_RESERVED',
      'KIE_TASK_CREATED',
      'REPLY_SENT',
      'DISPATCH_OK',
      'GENERATION_CAPTURED',
      'REPLY_SENT',
      'UPDATE_DUPLICATE',
    ]);
    expect(new Set(events.map((event) => event.cid)).size).toBe(1);
    expect(events.filter((event) => event.event === 'REPLY_SENT').map((event) => event.data.method)).toEqual(['answerCallbackQuery', 'sendMessage', 'sendPhoto']);
    expect(names(await eventsOf(bot, again))).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'REPLY_SENT', 'DISPATCH_OK']);

    const credits = await admin<{ chat_id: number; balance: number; entries: { kind: string; amount: number; ref: string; cid: string | null; generation_id: number | null }[] }>(bot, `/admin/credits?chat_id=${CHAT}`);
    expect(credits.body.balance).toBe(2);
    expect(credits.body.entries.map(({ kind, amount, ref, generation_id }) => ({ kind, amount, ref, generation_id }))).toEqual([
      { kind: 'capture', amount: 0, ref: 'capture:1', generation_id: 1 },
      { kind: 'reserve', amount: -1, ref: 'reserve:1', generation_id: 1 },
      { kind: 'grant', amount: 3, ref: 'admin:fund', generation_id: null },
    ]);
    expect(credits.body.entries[0]!.cid).toBe(events[0]!.cid);
  });

  it('refuses a generation the balance cannot pay, charging nothing', async () => {
    const bot = await fake();
    const confirm = await generate(bot);
    await bot.idle();
    const refused = (await eventsOf(bot, confirm)).find((event) => event.event === 'GENERATION_REFUSED');
    expect(refused?.data).toEqual({ reason: 'insufficient', price: 1, balance: 0 });
    expect(bot.state.ledger).toEqual([]);
  });

  it('on the PASSIVE, answers queries with the notice before the 200; the ACTIVE sharing its state processes them without answering again', async () => {
    const state = createFakeState();
    const passive = await fake({ mode: 'PASSIVE', shared: state });
    const press = updateId();
    const payment = updateId();
    expect((await post(passive, callbackUpdate(press, CHAT, 'menu:balance'))).status).toBe(200);
    const checkout = { update_id: payment, pre_checkout_query: { id: `pcq-${payment}`, from: { id: CHAT, is_bot: false, first_name: 'Test' }, currency: 'XTR', total_amount: 10, invoice_payload: 'credits:10' } };
    expect((await post(passive, checkout)).status).toBe(200);

    const pressEvents = await eventsOf(passive, press);
    expect(names(pressEvents)).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT']);
    expect(pressEvents[1]!.data).toEqual({ method: 'answerCallbackQuery' });
    expect(pressEvents[2]!.data).toEqual({ kind: 'callback_query', answered: true, elapsed_ms: expect.any(Number), notice: PASSIVE_NOTICE });
    expect((await eventsOf(passive, payment))[2]!.data).toMatchObject({ kind: 'pre_checkout_query', answered: true, notice: PASSIVE_PAYMENT_NOTICE });
    await passive.idle();
    expect(names(state.events)).not.toContain('DISPATCH_OK');

    // A new ACTIVE works off what was stored before it started, as a new lock holder does.
    const active = await fake({ mode: 'ACTIVE', shared: state });
    await active.idle();
    expect(names(await eventsOf(active, press))).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT', 'REPLY_SENT', 'DISPATCH_OK']);
    expect((await eventsOf(active, press))[3]!.data).toEqual({ method: 'sendMessage' });
    expect(names(await eventsOf(active, payment))).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT', 'DISPATCH_OK']);
  });

  it('guards the admin API and filters the journal by update_id, cid, since and limit', async () => {
    const bot = await fake();
    expect((await admin(bot, '/admin/events', { token: 'wrong' })).status).toBe(401);
    expect((await fetch(`${bot.url}/admin/db/health`)).status).toBe(401);

    const first = updateId();
    const second = updateId();
    const answer = await post(bot, textUpdate(first, CHAT, '/start'));
    await bot.idle();
    await sleep(5);
    const between = new Date().toISOString();
    await sleep(5);
    await post(bot, textUpdate(second, CHAT, 'hello'));
    await bot.idle();

    const byCid = await admin<{ events: FakeEvent[] }>(bot, `/admin/events?cid=${answer.body.cid}`);
    expect(byCid.body.events.every((event) => event.update_id === first)).toBe(true);
    const since = await admin<{ events: FakeEvent[] }>(bot, `/admin/events?since=${encodeURIComponent(between)}`);
    expect(new Set(since.body.events.map((event) => event.update_id))).toEqual(new Set([second]));
    const limited = await admin<{ events: FakeEvent[] }>(bot, '/admin/events?limit=2');
    expect(limited.body.events.map((event) => event.event)).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT']);
    expect((await admin(bot, '/admin/events?limit=0')).status).toBe(400);

    expect((await admin(bot, '/admin/db/health')).body).toEqual({ connected: true, schema_ready: true, latency_ms: expect.any(Number), migrations: { applied: FAKE_MIGRATIONS, pending: [] } });
  });
});

/** One clause of the contract each, checked the way a scenario would see it. */
const PROBES = {
  'health-valid': async (bot: FakeBot) => {
    const { status, body } = await health(bot);
    return status === 200 && validHealth(body);
  },
  'start-replied': async (bot: FakeBot) => {
    const id = updateId();
    await post(bot, textUpdate(id, CHAT, '/start'));
    await bot.idle();
    return names(await eventsOf(bot, id)).includes('REPLY_SENT');
  },
  'schema-ready': async (bot: FakeBot) => {
    const { body } = await admin<{ schema_ready: boolean; migrations: { pending: string[] } }>(bot, '/admin/db/health');
    return body.schema_ready && body.migrations.pending.length === 0;
  },
  'secret-enforced': async (bot: FakeBot) => {
    const id = updateId();
    const { status } = await post(bot, textUpdate(id, CHAT, 'no secret'), null);
    return status === 401 && (await eventsOf(bot, id)).length === 0;
  },
  deduped: async (bot: FakeBot) => {
    const id = updateId();
    await post(bot, textUpdate(id, CHAT, 'twice'));
    await post(bot, textUpdate(id, CHAT, 'twice'));
    await bot.idle();
    return names(await eventsOf(bot, id)).filter((name) => name === 'DISPATCH_OK').length === 1;
  },
  'survives-malformed': async (bot: FakeBot) => {
    const id = updateId();
    const answered = await post(bot, { update_id: id, message: { chat: { id: 'nope' } } }).catch(() => null);
    return answered?.status === 200 && names(await eventsOf(bot, id)).includes('UPDATE_INVALID') && bot.restarts() === 0;
  },
};
type Probe = keyof typeof PROBES;

/**
 * slow-webhook breaks only time, checked on its own below; passive-charges changes nothing on an
 * ACTIVE, checked on a PASSIVE below.
 */
const BREAKS: Record<Fault, Probe[]> = {
  'health-number-as-string': ['health-valid'],
  'health-missing-field': ['health-valid'],
  'health-500': ['health-valid'],
  'no-reply-to-start': ['start-replied'],
  'pending-migration': ['schema-ready'],
  'slow-webhook': [],
  'no-secret-check': ['secret-enforced'],
  'duplicates-processed-twice': ['deduped'],
  'crash-on-malformed': ['survives-malformed'],
  'passive-charges': [],
};

const CASES: { name: string; faults: Fault[]; breaks: Probe[] }[] = [
  { name: 'no fault', faults: [], breaks: [] },
  ...FAULTS.map((fault) => ({ name: fault, faults: [fault], breaks: BREAKS[fault] })),
];

describe('each fault breaks exactly its clause', () => {
  it.each(CASES)('$name', async ({ faults, breaks }) => {
    const bot = await fake({ faults });
    const broken: Probe[] = [];
    for (const [probe, holds] of Object.entries(PROBES) as [Probe, (bot: FakeBot) => Promise<boolean>][]) {
      if (!(await holds(bot))) broken.push(probe);
    }
    expect(broken).toEqual(breaks);
  });
});

describe('what each fault does', () => {
  it('health-number-as-string serves lock_idle_s as the string "54.09"', async () => {
    const { body } = await health(await fake({ faults: ['health-number-as-string'] }));
    expect(body.lock_idle_s).toBe('54.09');
  });

  it('health-missing-field leaves migrations_applied out', async () => {
    const { body } = await health(await fake({ faults: ['health-missing-field'] }));
    expect(body).not.toHaveProperty('migrations_applied');
    expect(validHealth(body)).toBe(false);
    expect(validHealth.errors?.map((error) => error.params)).toContainEqual({ missingProperty: 'migrations_applied' });
  });

  it('health-500 answers 500 with an error body', async () => {
    const { status, body } = await health(await fake({ faults: ['health-500'] }));
    expect(status).toBe(500);
    expect(body.error).toEqual(expect.any(String));
  });

  it('no-reply-to-start dispatches /start without a reply, and still replies to other text', async () => {
    const bot = await fake({ faults: ['no-reply-to-start'] });
    const start = updateId();
    const other = updateId();
    await post(bot, textUpdate(start, CHAT, '/start'));
    await post(bot, textUpdate(other, CHAT, 'hello'));
    await bot.idle();
    expect(names(await eventsOf(bot, start))).toEqual(['UPDATE_RECEIVED', 'DISPATCH_OK']);
    expect(names(await eventsOf(bot, other))).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'DISPATCH_OK']);
  });

  it('pending-migration reports 006_pending.sql pending, and /health agrees while staying valid', async () => {
    const bot = await fake({ faults: ['pending-migration'] });
    const db = await admin<{ schema_ready: boolean; migrations: { applied: string[]; pending: string[] } }>(bot, '/admin/db/health');
    expect(db.body).toMatchObject({ schema_ready: false, migrations: { applied: FAKE_MIGRATIONS, pending: [PENDING_MIGRATION] } });
    const { body } = await health(bot);
    expect(body.db_schema_ready).toBe(false);
    expect(validHealth(body)).toBe(true);
  });

  it('slow-webhook answers the webhook no sooner than 800 ms, and still stores the update', async () => {
    const bot = await fake({ faults: ['slow-webhook'] });
    const id = updateId();
    const started = performance.now();
    expect((await post(bot, textUpdate(id, CHAT, '/start'))).status).toBe(200);
    // A lower bound: a timer never fires early, however loaded the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(SLOW_WEBHOOK_MS - 1);
    expect(names(await eventsOf(bot, id))).toContain('UPDATE_RECEIVED');
  });

  it('no-secret-check stores an update sent without a secret', async () => {
    const bot = await fake({ faults: ['no-secret-check'] });
    const id = updateId();
    expect((await post(bot, textUpdate(id, CHAT, '/start'), null)).status).toBe(200);
    expect((await post(bot, textUpdate(updateId(), CHAT, '/start'), 'wrong')).status).toBe(200);
    expect(names(await eventsOf(bot, id))).toContain('UPDATE_RECEIVED');
  });

  it('duplicates-processed-twice receives and dispatches every delivery', async () => {
    const bot = await fake({ faults: ['duplicates-processed-twice'] });
    const id = updateId();
    await post(bot, textUpdate(id, CHAT, '/start'));
    await post(bot, textUpdate(id, CHAT, '/start'));
    await bot.idle();
    const events = names(await eventsOf(bot, id));
    expect(events.filter((name) => name === 'UPDATE_RECEIVED')).toHaveLength(2);
    expect(events.filter((name) => name === 'DISPATCH_OK')).toHaveLength(2);
    expect(events).not.toContain('UPDATE_DUPLICATE');
  });

  it('crash-on-malformed drops the connection, records nothing and restarts: uptime and counters from 0, the journal kept', async () => {
    const bot = await fake({ faults: ['crash-on-malformed'] });
    const before = updateId();
    await post(bot, textUpdate(before, CHAT, '/start'));
    await bot.idle();
    await sleep(1500);
    const up = (await health(bot)).body;
    expect(up.uptime_s).toBeGreaterThanOrEqual(1.5);

    const malformed = updateId();
    await expect(post(bot, { update_id: malformed, message: { chat: { id: 'nope' } } })).rejects.toThrow();
    expect(bot.restarts()).toBe(1);
    const after = (await health(bot)).body;
    expect(after.uptime_s).toBeLessThan(up.uptime_s as number);
    expect(after.queue).toMatchObject({ total_received: 0, total_processed: 0 });
    expect(await eventsOf(bot, malformed)).toEqual([]);
    expect(names(await eventsOf(bot, before))).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'DISPATCH_OK']);
    expect((await post(bot, textUpdate(updateId(), CHAT, '/start'))).status).toBe(200);
  });

  it('passive-charges: the PASSIVE gives no notice and generates and charges; a healthy PASSIVE does neither', async () => {
    const healthy = await fake({ mode: 'PASSIVE' });
    const broken = await fake({ mode: 'PASSIVE', faults: ['passive-charges'] });
    for (const bot of [healthy, broken]) {
      await grant(bot, 2, 'fund');
      const confirm = await generate(bot);
      await bot.idle();
      expect((await health(bot)).body.lock_state).toBe('PASSIVE');
      const events = names(await eventsOf(bot, confirm));
      if (bot === healthy) {
        expect(events).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT']);
        expect(balanceOf(bot.state, CHAT)).toBe(2);
      } else {
        expect(events).not.toContain('PASSIVE_REJECT');
        expect(events).toEqual(expect.arrayContaining(['GENERATION_RESERVED', 'GENERATION_CAPTURED', 'DISPATCH_OK']));
        expect(balanceOf(bot.state, CHAT)).toBe(1);
      }
    }
  });
});

describe('the spawnable health server', () => {
  const script = join(REPO, 'test', 'fixtures', 'smoke', 'health-server.mjs');

  function start(env: Record<string, string>) {
    const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, stderr: () => stderr };
  }

  it('serves a valid /health on $PORT after its startup delay and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const server = start({ PORT: String(port), STARTUP_DELAY_MS: '200' });
    try {
      const body = await eventually('the health server to answer', async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
        return response?.status === 200 ? ((await response.json()) as unknown) : undefined;
      });
      expect(validHealth(body), JSON.stringify(validHealth.errors)).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  it('exits 1 at once with a message when EXIT_AT_START=1', async () => {
    const server = start({ PORT: String(await freePort()), EXIT_AT_START: '1' });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain('EXIT_AT_START');
  });
});
