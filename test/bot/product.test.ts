/**
 * The bot's product on the real stack: the bot on PostgreSQL, the Telegram and KIE emulators over
 * HTTP. Issue 4 checks 1–6 and 9, and GET /admin/credits (what smoke S5 reads to prove a single
 * debit); the ledger property (check 7) is in billing/, PASSIVE (check 8) in passive.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { RunningBot } from '../../bot/app.js';
import type { AppEvent } from '../../bot/events/events.js';
import { KieEmulator } from '../../emulators/kie/server.js';
import { TelegramEmulator, type RecordedCall } from '../../emulators/telegram/server.js';
import {
  adminGet,
  adminPost,
  callbackUpdate,
  eventually,
  freePort,
  messageUpdate,
  postUpdate,
  startTestBot,
  TEST_ADMIN_SECRET,
  TEST_KIE_KEY,
  TEST_TOKEN,
  testPool,
  textUpdate,
  writeTestTruth,
} from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let database: TestPostgres;
let telegram: TelegramEmulator;
let kie: KieEmulator;
let bot: RunningBot;
let sql: pg.Pool;
let nextUpdateId = 1_000_000_500_000;
let nextChat = 990100000;
const HOSTILE_NAME = '<b>&"Tom"</b>';

async function send(update: Record<string, unknown>): Promise<void> {
  const answer = await postUpdate(bot.url, update);
  expect(answer.status).toBe(200);
}

async function processed(updateId: number): Promise<void> {
  await eventually(`update ${updateId} processed`, async () => {
    const events = (await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?update_id=${updateId}`)).events;
    return events.some((event) => event.event === 'DISPATCH_OK' || event.event === 'DISPATCH_FAIL') ? true : undefined;
  });
}

/** Sends an update and waits until the bot processed it. */
async function step(update: Record<string, unknown>): Promise<number> {
  const updateId = update.update_id as number;
  await send(update);
  await processed(updateId);
  return updateId;
}

const text = (chatId: number, body: string) => textUpdate(nextUpdateId++, chatId, body, HOSTILE_NAME);
const click = (chatId: number, data: string) => callbackUpdate(nextUpdateId++, chatId, data, HOSTILE_NAME);

async function balance(chatId: number): Promise<number> {
  const result = await sql.query<{ balance: string }>('SELECT COALESCE(sum(amount), 0)::text AS balance FROM credit_ledger WHERE chat_id = $1::bigint', [chatId]);
  return Number(result.rows[0]!.balance);
}

async function fund(chatId: number, amount: number): Promise<void> {
  const granted = await adminPost<{ applied: boolean; balance: number }>(bot.url, '/admin/credits', { chat_id: chatId, amount, ref: `fund-${chatId}-${amount}` });
  expect(granted.applied).toBe(true);
}

/** Picks the fast test model, sends the prompt and confirms: the generate flow of the menu. */
async function generate(chatId: number, prompt: string): Promise<{ cid: string; generationId: number }> {
  await step(click(chatId, 'menu:generate'));
  await step(click(chatId, 'model:test/fast-image'));
  await step(text(chatId, prompt));
  const confirm = await step(click(chatId, 'gen:confirm'));
  const events = (await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?update_id=${confirm}`)).events;
  const cid = events[0]!.cid!;
  const reserved = await eventually('GENERATION_RESERVED', async () => {
    const story = (await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?cid=${cid}`)).events;
    return story.find((event) => event.event === 'GENERATION_RESERVED');
  });
  return { cid, generationId: reserved.data.generation_id as number };
}

async function story(cid: string): Promise<string[]> {
  return (await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?cid=${cid}&limit=1000`)).events.map((event) => event.event);
}

function photos(chatId: number): RecordedCall[] {
  return telegram.calls({ method: 'sendPhoto', chatId });
}

beforeAll(async () => {
  database = await startTestPostgres();
  const databaseUrl = await database.createDatabase('product');
  telegram = await TelegramEmulator.start({ token: TEST_TOKEN });
  kie = await KieEmulator.start({ apiKey: TEST_KIE_KEY, defaultBehaviour: { outcome: 'success', delayMs: 0, callback: true } });
  const truthFile = writeTestTruth({ database: { heartbeat_interval_s: 1 }, generation: { deadline_s: 4, poll_interval_s: 0.5 } });
  const port = await freePort();
  bot = await startTestBot({ databaseUrl, telegramApiRoot: telegram.apiRoot, truthFile, port, publicUrl: `http://127.0.0.1:${port}`, kieApiRoot: kie.apiRoot });
  sql = testPool(databaseUrl);
});

afterAll(async () => {
  await bot?.stop('test over');
  await sql?.end();
  await kie?.stop();
  await telegram?.stop();
  await database?.destroy();
});

describe('paid generation', () => {
  it('grant → generate → reserve → callback → capture → sendPhoto, debited exactly the price (check 1)', async () => {
    const chatId = nextChat++;
    await fund(chatId, 10);
    await step(text(chatId, '/start'));
    const menu = telegram.calls({ method: 'sendMessage', chatId }).at(-1)!;
    expect(JSON.stringify(menu.params.reply_markup)).toContain('menu:generate');

    const { cid } = await generate(chatId, 'a red fox <in> "snow" & ice');
    const photo = await telegram.waitForCall((call) => call.method === 'sendPhoto' && call.params.chat_id === chatId, 15_000);
    expect(photo.ok).toBe(true);
    expect(photo.params.caption).toBe('a red fox &lt;in&gt; "snow" &amp; ice');
    expect(await balance(chatId)).toBe(9);
    const events = await story(cid);
    for (const name of ['GENERATION_RESERVED', 'KIE_TASK_CREATED', 'GENERATION_CAPTURED']) expect(events).toContain(name);
    expect(events.filter((name) => name === 'REPLY_SENT').length).toBeGreaterThanOrEqual(2);
    const task = kie.tasks().at(-1)!;
    expect(task.callBackUrl).toMatch(/\/kie-callback\?generation=\d+&sig=[0-9a-f]+$/);
  });

  it('releases the reserve of a failed task and tells the user; the balance is unchanged (check 2)', async () => {
    const chatId = nextChat++;
    await fund(chatId, 5);
    kie.queueBehaviour({ outcome: 'fail', delayMs: 0, callback: true, failMsg: 'content <policy> violation' });
    const { cid } = await generate(chatId, 'anything');
    const told = await telegram.waitForCall((call) => call.method === 'sendMessage' && call.params.chat_id === chatId && String(call.params.text).includes('failed'), 15_000);
    expect(told.ok).toBe(true);
    expect(String(told.params.text)).toContain('content &lt;policy&gt; violation');
    expect(await balance(chatId)).toBe(5);
    expect(await story(cid)).toContain('GENERATION_FAILED');
    expect(photos(chatId)).toHaveLength(0);
  });

  it('completes by polling when the callback is lost, and releases a task that never finishes at the deadline (check 3)', async () => {
    const chatId = nextChat++;
    await fund(chatId, 5);
    kie.queueBehaviour({ outcome: 'success', delayMs: 200, callback: false });
    await generate(chatId, 'polled');
    await telegram.waitForCall((call) => call.method === 'sendPhoto' && call.params.chat_id === chatId, 15_000);
    expect(await balance(chatId)).toBe(4);

    kie.queueBehaviour({ outcome: 'success', delayMs: 0, callback: false, neverFinish: true });
    const { cid } = await generate(chatId, 'never');
    await telegram.waitForCall((call) => call.method === 'sendMessage' && call.params.chat_id === chatId && String(call.params.text).includes('too long'), 20_000);
    expect(await balance(chatId)).toBe(4);
    expect(await story(cid)).toContain('GENERATION_EXPIRED');
  });

  it('ignores forged callbacks: unsigned, badly signed, or naming another generation’s task (check 4)', async () => {
    const victim = nextChat++;
    const other = nextChat++;
    await fund(victim, 5);
    await fund(other, 5);
    kie.queueBehaviour({ outcome: 'success', delayMs: 0, callback: false, neverFinish: true });
    const first = await generate(victim, 'pending one');
    const victimTask = await kie.waitForTask((task) => task.input.prompt === 'pending one');
    kie.queueBehaviour({ outcome: 'success', delayMs: 0, callback: false, neverFinish: true });
    await generate(other, 'pending two');
    const otherTask = await kie.waitForTask((task) => task.input.prompt === 'pending two');
    const before = { victim: await balance(victim), other: await balance(other), photos: telegram.calls({ method: 'sendPhoto' }).length };

    const body = (taskId: string) => ({ code: 200, msg: 'Playground task completed successfully.', data: { taskId, state: 'success', resultJson: JSON.stringify({ resultUrls: ['https://evil.example/x.png'] }) } });
    expect((await kie.sendRawCallback(`${bot.url}/kie-callback`, body(victimTask.taskId))).status).toBe(403);
    expect((await kie.sendRawCallback(`${bot.url}/kie-callback?generation=${first.generationId}&sig=00`, body(victimTask.taskId))).status).toBe(403);
    // A correctly signed URL of the victim's generation, carrying the other user's task id.
    expect((await kie.sendRawCallback(victimTask.callBackUrl!, body(otherTask.taskId))).status).toBe(403);

    const rejected = await eventually('KIE_CALLBACK_REJECTED events', async () => {
      const events = (await adminGet<{ events: AppEvent[] }>(bot.url, '/admin/events?limit=1000')).events.filter((event) => event.event === 'KIE_CALLBACK_REJECTED');
      return events.length >= 3 ? events : undefined;
    });
    expect(rejected.some((event) => event.cid === first.cid)).toBe(true);
    expect(await balance(victim)).toBe(before.victim);
    expect(await balance(other)).toBe(before.other);
    expect(telegram.calls({ method: 'sendPhoto' })).toHaveLength(before.photos);
  });

  it('captures once and sends one photo when the same callback arrives three times (check 5)', async () => {
    const chatId = nextChat++;
    await fund(chatId, 5);
    kie.queueBehaviour({ outcome: 'success', delayMs: 0, callback: true });
    const { generationId } = await generate(chatId, 'thrice');
    await telegram.waitForCall((call) => call.method === 'sendPhoto' && call.params.chat_id === chatId, 15_000);
    const task = kie.tasks().find((candidate) => candidate.input.prompt === 'thrice')!;
    for (let repeat = 0; repeat < 3; repeat += 1) expect((await kie.sendCallback(task.taskId)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(photos(chatId)).toHaveLength(1);
    const captures = await sql.query("SELECT 1 FROM credit_ledger WHERE generation_id = $1::bigint AND kind = 'capture'", [generationId]);
    expect(captures.rowCount).toBe(1);
    expect(await balance(chatId)).toBe(4);
  });

  it('refuses a generation the balance cannot pay for and says so', async () => {
    const chatId = nextChat++;
    await step(click(chatId, 'menu:generate'));
    await step(click(chatId, 'model:test/fast-image'));
    await step(text(chatId, 'no money'));
    await step(click(chatId, 'gen:confirm'));
    const refused = telegram.calls({ method: 'sendMessage', chatId }).at(-1)!;
    expect(String(refused.params.text)).toContain('Not enough credits');
    expect(await balance(chatId)).toBe(0);
  });
});

describe('Telegram Stars', () => {
  it('answers the pre-checkout query and credits a successful_payment once by its charge id (check 6)', async () => {
    const chatId = nextChat++;
    await step(click(chatId, 'topup:50'));
    const invoice = telegram.calls({ method: 'sendInvoice', chatId }).at(-1)!;
    expect(invoice.ok).toBe(true);
    expect(invoice.params.currency).toBe('XTR');

    const preCheckout = nextUpdateId++;
    await step({ update_id: preCheckout, pre_checkout_query: { id: `pcq-${preCheckout}`, from: { id: chatId, is_bot: false, first_name: HOSTILE_NAME }, currency: 'XTR', total_amount: 50, invoice_payload: 'credits:50' } });
    const answer = telegram.calls({ method: 'answerPreCheckoutQuery' }).at(-1)!;
    expect(answer.params.ok).toBe(true);

    const payment = (updateId: number) =>
      messageUpdate(
        updateId,
        chatId,
        { successful_payment: { currency: 'XTR', total_amount: 50, invoice_payload: 'credits:50', telegram_payment_charge_id: `charge-${chatId}`, provider_payment_charge_id: '' } },
        HOSTILE_NAME,
      );
    await step(payment(nextUpdateId++));
    await step(payment(nextUpdateId++));
    expect(await balance(chatId)).toBe(50);
    const purchases = await sql.query("SELECT 1 FROM credit_ledger WHERE chat_id = $1::bigint AND kind = 'purchase'", [chatId]);
    expect(purchases.rowCount).toBe(1);
  });
});

interface CreditStatement {
  chat_id: number;
  balance: number;
  entries: Array<{ ts: string; kind: string; amount: number; ref: string; cid: string | null; generation_id: number | null }>;
}

describe('GET /admin/credits', () => {
  const get = (query: string, authorization: string | null = `Bearer ${TEST_ADMIN_SECRET}`) =>
    fetch(`${bot.url}/admin/credits${query}`, { headers: authorization === null ? {} : { authorization } });

  it('answers the balance and the entries newest first, as JSON numbers, after grants and a generation', async () => {
    const chatId = nextChat++;
    await fund(chatId, 10);
    await fund(chatId, 3);
    const { cid, generationId } = await generate(chatId, 'a ledger to read');
    await telegram.waitForCall((call) => call.method === 'sendPhoto' && call.params.chat_id === chatId, 15_000);

    const statement = await adminGet<CreditStatement>(bot.url, `/admin/credits?chat_id=${chatId}`);
    expect(statement.chat_id).toBe(chatId);
    expect(statement.balance).toBe(12);
    expect(statement.balance).toBe(await balance(chatId));
    expect(statement.entries).toEqual([
      { ts: expect.any(String), kind: 'capture', amount: 0, ref: `capture:generation:${generationId}`, cid, generation_id: generationId },
      { ts: expect.any(String), kind: 'reserve', amount: -1, ref: `reserve:generation:${generationId}`, cid, generation_id: generationId },
      { ts: expect.any(String), kind: 'grant', amount: 3, ref: `admin:fund-${chatId}-3`, cid: null, generation_id: null },
      { ts: expect.any(String), kind: 'grant', amount: 10, ref: `admin:fund-${chatId}-10`, cid: null, generation_id: null },
    ]);
    const times = statement.entries.map((entry) => Date.parse(entry.ts));
    for (const [index, entry] of statement.entries.entries()) expect(new Date(times[index]!).toISOString()).toBe(entry.ts);
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const newest = await adminGet<CreditStatement>(bot.url, `/admin/credits?chat_id=${chatId}&limit=1`);
    expect(newest.balance).toBe(12);
    expect(newest.entries.map((entry) => entry.kind)).toEqual(['capture']);
  });

  it('answers a balance of 0 and no entries for a chat the ledger never saw', async () => {
    const chatId = nextChat++;
    expect(await adminGet<CreditStatement>(bot.url, `/admin/credits?chat_id=${chatId}`)).toEqual({ chat_id: chatId, balance: 0, entries: [] });
  });

  it('answers 401 without the admin secret and 400 for a bad chat_id or limit', async () => {
    expect((await get('?chat_id=1', null)).status).toBe(401);
    expect((await get('?chat_id=1', 'Bearer not-the-admin-secret')).status).toBe(401);
    for (const query of ['', '?chat_id=abc', '?chat_id=1.5', '?chat_id=1&limit=0', '?chat_id=1&limit=201']) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: string }).error, query).toMatch(/chat_id|limit/);
    }
  });
});

describe('HTML safety', () => {
  it('never makes Telegram refuse a message, whatever the user’s name and prompt (check 9)', async () => {
    const failures = telegram.calls().filter((call) => !call.ok && /can't parse entities/.test(JSON.stringify(call.response)));
    expect(failures).toEqual([]);
    const refused = await sql.query("SELECT data FROM app_events WHERE event = 'REPLY_FAILED'");
    expect(refused.rows.filter((row: { data: { description?: string } }) => /parse entities/.test(row.data.description ?? ''))).toEqual([]);
    // The hostile name reached every path: the menu greeted it escaped.
    const greeting = telegram.calls({ method: 'sendMessage' }).find((call) => String(call.params.text).startsWith('Hello'));
    expect(String(greeting!.params.text)).toContain('&lt;b&gt;&amp;"Tom"&lt;/b&gt;');
  });
});
