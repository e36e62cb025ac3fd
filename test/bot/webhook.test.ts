/**
 * The bot core end to end, in this process: the real bot on a real PostgreSQL, talking to the
 * Telegram emulator over HTTP. Checks 1, 2, 3 and 8 of the bot-core issue.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../bot/app.js';
import type { AppEvent } from '../../bot/events/events.js';
import { packageFile } from '../../cli/core/package-root.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import {
  adminGet,
  eventually,
  postUpdate,
  startTestBot,
  TEST_TOKEN,
  TEST_WEBHOOK_SECRET,
  testPool,
  textUpdate,
  writeTestTruth,
} from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

const validateHealth = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(packageFile('schemas/health.schema.json'), 'utf8')) as object);

let database: TestPostgres;
let databaseUrl: string;
let emulator: TelegramEmulator;
let active: RunningBot;
let passive: RunningBot;
let sql: pg.Pool;
let nextUpdateId = 1_000_000_000_000;
const newUpdateId = () => nextUpdateId++;

async function events(url: string, updateId: number): Promise<AppEvent[]> {
  return (await adminGet<{ events: AppEvent[] }>(url, `/admin/events?update_id=${updateId}`)).events;
}

async function health(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/health`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as Record<string, unknown>;
  expect(validateHealth(body), JSON.stringify(validateHealth.errors)).toBe(true);
  return body;
}

beforeAll(async () => {
  database = await startTestPostgres();
  databaseUrl = await database.createDatabase('webhook');
  emulator = await TelegramEmulator.start({ token: TEST_TOKEN });
  const truthFile = writeTestTruth({ database: { heartbeat_interval_s: 1, stale_heartbeat_s: 30 } });
  active = await startTestBot({ databaseUrl, telegramApiRoot: emulator.apiRoot, truthFile });
  passive = await startTestBot({ databaseUrl, telegramApiRoot: emulator.apiRoot, truthFile });
  sql = testPool(databaseUrl);
});

afterAll(async () => {
  await passive?.stop('test over');
  await active?.stop('test over');
  await sql?.end();
  await emulator?.stop();
  await database?.destroy();
});

describe('the webhook and processing', () => {
  it('answers /start through the webhook: sendMessage reaches Telegram and REPLY_SENT is recorded (check 1)', async () => {
    const updateId = newUpdateId();
    const chatId = 990000001;
    const answer = await postUpdate(active.url, textUpdate(updateId, chatId, '/start', 'Tom & <Jerry>'));
    expect(answer.status).toBe(200);

    const call = await emulator.waitForCall((candidate) => candidate.method === 'sendMessage' && candidate.params.chat_id === chatId, 15_000);
    expect(call.ok).toBe(true);
    expect(String(call.params.text)).toContain('Tom &amp; &lt;Jerry&gt;');
    const recorded = await eventually('REPLY_SENT and DISPATCH_OK', async () => {
      const list = await events(active.url, updateId);
      return list.some((event) => event.event === 'DISPATCH_OK') ? list : undefined;
    });
    const names = recorded.map((event) => event.event);
    expect(names).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'DISPATCH_OK']);
    const reply = recorded.find((event) => event.event === 'REPLY_SENT')!;
    expect(reply.data.method).toBe('sendMessage');
    expect(new Set(recorded.map((event) => event.cid)).size).toBe(1);
    expect(recorded.every((event) => event.update_id === updateId && event.chat_id === chatId)).toBe(true);
  });

  it('answers /help in HTML that Telegram accepts', async () => {
    const updateId = newUpdateId();
    await postUpdate(active.url, textUpdate(updateId, 990000002, '/help'));
    const call = await emulator.waitForCall((candidate) => candidate.method === 'sendMessage' && candidate.params.chat_id === 990000002, 15_000);
    expect(call.ok).toBe(true);
    expect(call.params.parse_mode).toBe('HTML');
  });

  it('processes an update posted twice in a row and 20 times at once exactly once (check 2)', async () => {
    const chatId = 990000003;
    const sequential = newUpdateId();
    const concurrent = newUpdateId();
    const first = await postUpdate(active.url, textUpdate(sequential, chatId, '/help'));
    const second = await postUpdate(active.url, textUpdate(sequential, chatId, '/help'));
    const burst = await Promise.all(Array.from({ length: 20 }, (_, index) => postUpdate(index % 2 ? active.url : passive.url, textUpdate(concurrent, chatId, '/start'))));
    expect([first.status, second.status, ...burst.map((answer) => answer.status)]).toEqual(Array(22).fill(200));

    for (const [updateId, deliveries] of [[sequential, 2], [concurrent, 20]] as const) {
      const recorded = await eventually(`DISPATCH_OK of ${updateId}`, async () => {
        const list = await events(active.url, updateId);
        return list.some((event) => event.event === 'DISPATCH_OK') ? list : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const final = await events(active.url, updateId);
      const count = (name: string) => final.filter((event) => event.event === name).length;
      expect(count('UPDATE_RECEIVED')).toBe(1);
      expect(count('UPDATE_DUPLICATE')).toBe(deliveries - 1);
      expect(count('DISPATCH_OK')).toBe(1);
      expect(count('REPLY_SENT')).toBe(1);
      expect(recorded.length).toBeGreaterThan(0);
    }
    expect(emulator.calls({ method: 'sendMessage', chatId })).toHaveLength(2);
  });

  it('refuses a wrong or missing secret with 401 and stores nothing (check 3)', async () => {
    for (const secret of ['wrong-secret', null, `${TEST_WEBHOOK_SECRET}x`]) {
      const updateId = newUpdateId();
      const answer = await postUpdate(active.url, textUpdate(updateId, 990000004, '/start'), secret);
      expect(answer.status).toBe(401);
      const stored = await sql.query('SELECT 1 FROM inbox WHERE update_id = $1::bigint UNION ALL SELECT 1 FROM app_events WHERE update_id = $1::bigint', [updateId]);
      expect(stored.rowCount).toBe(0);
    }
  });

  it('records a malformed update as UPDATE_INVALID with its cid, answers 200 and keeps serving (check 3)', async () => {
    const updateId = newUpdateId();
    const answer = await postUpdate(active.url, { update_id: updateId, message: { message_id: 1, date: 0, chat: { id: 'not-a-number' }, text: 42 } });
    expect(answer.status).toBe(200);
    const recorded = await events(active.url, updateId);
    expect(recorded.map((event) => event.event)).toEqual(['UPDATE_INVALID']);
    expect(recorded[0]!.cid).toMatch(/^[0-9a-f]{16}$/);
    expect(String(recorded[0]!.data.reason)).toContain('chat.id');
    const stored = await sql.query('SELECT 1 FROM inbox WHERE update_id = $1::bigint', [updateId]);
    expect(stored.rowCount).toBe(0);
    await health(active.url);
  });

  it('answers 400 to a body that is not JSON and 413 to one over the limit, storing nothing (check 3)', async () => {
    const before = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox');
    const broken = await postUpdate(active.url, '{"update_id": 1000000099999, "message": ');
    expect(broken.status).toBe(400);
    const huge = await postUpdate(active.url, { update_id: 1000000099998, message: { chat: { id: 1 }, text: 'x'.repeat(1_100_000) } });
    expect(huge.status).toBe(413);
    const after = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('ends a handler that throws in DISPATCH_FAIL with its cid, never a 500, and the chat goes on', async () => {
    const chatId = 990000005;
    emulator.injectFault({ method: 'sendMessage', errorCode: 400, description: 'Bad Request: chat not found' });
    const failing = newUpdateId();
    expect((await postUpdate(active.url, textUpdate(failing, chatId, '/start'))).status).toBe(200);
    const recorded = await eventually('DISPATCH_FAIL', async () => {
      const list = await events(active.url, failing);
      return list.some((event) => event.event === 'DISPATCH_FAIL') ? list : undefined;
    });
    expect(recorded.map((event) => event.event)).toEqual(['UPDATE_RECEIVED', 'REPLY_FAILED', 'DISPATCH_FAIL']);
    expect(new Set(recorded.map((event) => event.cid)).size).toBe(1);
    expect(String(recorded.at(-1)!.data.error)).toContain('chat not found');

    const next = newUpdateId();
    await postUpdate(active.url, textUpdate(next, chatId, '/help'));
    await eventually('the next update of the chat', async () => ((await events(active.url, next)).some((event) => event.event === 'DISPATCH_OK') ? true : undefined));
  });
});

describe('ACTIVE and PASSIVE', () => {
  it('has exactly one ACTIVE; /health validates on both and shows lock facts as numbers (check 8)', async () => {
    const [a, b] = await Promise.all([health(active.url), health(passive.url)]);
    expect([a.lock_state, b.lock_state].sort()).toEqual(['ACTIVE', 'PASSIVE']);
    expect(a.active).toBe(true);
    expect(b.active).toBe(false);
    expect(a.status).toBe('ok');
    expect(b.status).toBe('ok');
    expect(typeof b.lock_holder_pid).toBe('number');
    expect(b.lock_holder_pid).toBe(a.lock_holder_pid);
    expect(typeof b.lock_heartbeat_age_s).toBe('number');
    expect(a.db_schema_ready).toBe(true);
    expect(a.migrations_applied).toBeGreaterThanOrEqual(2);
  });

  it('stores updates on the PASSIVE, which the ACTIVE then processes', async () => {
    const updateId = newUpdateId();
    expect((await postUpdate(passive.url, textUpdate(updateId, 990000006, '/start'))).status).toBe(200);
    await eventually('DISPATCH_OK of an update stored by the PASSIVE', async () => ((await events(active.url, updateId)).some((event) => event.event === 'DISPATCH_OK') ? true : undefined));
  });
});

describe('admin and metrics', () => {
  it('refuses admin routes without the bearer secret', async () => {
    for (const path of ['/admin/events?limit=1', '/admin/db/health']) {
      expect((await fetch(`${active.url}${path}`)).status).toBe(401);
      expect((await fetch(`${active.url}${path}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    }
  });

  it('answers /admin/db/health in the SPEC shape', async () => {
    const body = await adminGet<{ connected: boolean; schema_ready: boolean; latency_ms: number; migrations: { applied: string[]; pending: string[] } }>(active.url, '/admin/db/health');
    expect(body.connected).toBe(true);
    expect(body.schema_ready).toBe(true);
    expect(typeof body.latency_ms).toBe('number');
    expect(body.migrations.applied).toContain('002_core.sql');
    expect(body.migrations.pending).toEqual([]);
  });

  it('rejects a bad events query with 400', async () => {
    await expect(adminGet(active.url, '/admin/events?update_id=abc')).rejects.toThrow(/400/);
    await expect(adminGet(active.url, '/admin/events?limit=5000')).rejects.toThrow(/400/);
  });

  it('exposes Prometheus metrics', async () => {
    const text = await (await fetch(`${active.url}/metrics`)).text();
    expect(text).toMatch(/trt_updates_total\{outcome="received"\} \d+/);
    expect(text).toContain('trt_leader_active 1');
    expect(text).toMatch(/trt_queue_depth \d+/);
  });
});
