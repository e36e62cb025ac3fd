/**
 * Issue 4 check 8: on a PASSIVE instance a button press is answered at once with the "updating"
 * notice and a payment is refused (pre-checkout ok=false, "no payment was taken"), and nothing is
 * generated, invoiced, charged or registered there; PASSIVE_REJECT says what was answered, how
 * long it took and, when Telegram refused the answer, its error code. Once the instance becomes
 * ACTIVE it does the work from the stored updates, without answering any query twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBot } from '../../bot/app.js';
import type { AppEvent } from '../../bot/events/events.js';
import { PASSIVE_NOTICE, PASSIVE_PAYMENT_NOTICE } from '../../bot/telegram/texts.js';
import { KieEmulator } from '../../emulators/kie/server.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { adminGet, callbackUpdate, eventually, freePort, postUpdate, startTestBot, TEST_KIE_KEY, TEST_TOKEN, testConfig, testPool, writeTestTruth, type BotEnv } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let database: TestPostgres;
let telegram: TelegramEmulator;
let kie: KieEmulator;
let bot: RunningBot;
let sql: pg.Pool;
let holder: pg.Client;
let lockKey: number;
let env: BotEnv;
const chatId = 990200001;

async function eventsOf(url: string, updateId: number): Promise<AppEvent[]> {
  return (await adminGet<{ events: AppEvent[] }>(url, `/admin/events?update_id=${updateId}`)).events;
}

async function passiveReject(url: string, updateId: number): Promise<Record<string, unknown>> {
  const event = (await eventsOf(url, updateId)).find((candidate) => candidate.event === 'PASSIVE_REJECT');
  expect(event, `PASSIVE_REJECT of update ${updateId}`).toBeDefined();
  return event!.data;
}

function preCheckoutUpdate(updateId: number): Record<string, unknown> {
  return {
    update_id: updateId,
    pre_checkout_query: { id: `pcq-${updateId}`, from: { id: chatId, is_bot: false, first_name: 'Test' }, currency: 'XTR', total_amount: 10, invoice_payload: 'credits:10' },
  };
}

const confirm = callbackUpdate(1_000_000_600_001, chatId, 'gen:confirm');
const topup = callbackUpdate(1_000_000_600_002, chatId, 'topup:10');
const payment = preCheckoutUpdate(1_000_000_600_003);
const refusedPress = callbackUpdate(1_000_000_600_004, chatId, 'menu:balance');
const unreachablePayment = preCheckoutUpdate(1_000_000_600_005);
const queryId = (update: Record<string, unknown>, kind: 'callback_query' | 'pre_checkout_query') => (update[kind] as { id: string }).id;

beforeAll(async () => {
  database = await startTestPostgres();
  const databaseUrl = await database.createDatabase('passive');
  telegram = await TelegramEmulator.start({ token: TEST_TOKEN });
  kie = await KieEmulator.start({ apiKey: TEST_KIE_KEY });
  const truthFile = writeTestTruth({ database: { heartbeat_interval_s: 1 } });
  const port = await freePort();
  env = { databaseUrl, telegramApiRoot: telegram.apiRoot, truthFile, port, publicUrl: `http://127.0.0.1:${port}`, kieApiRoot: kie.apiRoot };
  // Another session holds the singleton lock, fresh and alive: the bot under test starts PASSIVE.
  holder = new pg.Client({ connectionString: databaseUrl });
  holder.on('error', () => undefined);
  await holder.connect();
  lockKey = testConfig(env).lockKey;
  await holder.query('SELECT pg_advisory_lock($1::int)', [lockKey]);
  bot = await startTestBot(env);
  sql = testPool(databaseUrl);
});

afterAll(async () => {
  await bot?.stop('test over');
  await holder?.end().catch(() => undefined);
  await sql?.end();
  await kie?.stop();
  await telegram?.stop();
  await database?.destroy();
});

it('answers button presses with the notice and refuses a payment, recording what it answered', async () => {
  const health = (await (await fetch(`${bot.url}/health`)).json()) as { lock_state: string };
  expect(health.lock_state).toBe('PASSIVE');
  await sql.query("INSERT INTO credit_ledger (chat_id, kind, amount, ref) VALUES ($1::bigint, 'grant', 5, 'passive-test-grant')", [chatId]);
  await sql.query("INSERT INTO chat_state (chat_id, model_id, prompt, awaiting) VALUES ($1::bigint, 'test/fast-image', 'queued picture', 'confirm')", [chatId]);

  for (const update of [confirm, topup]) {
    const answer = await postUpdate(bot.url, update);
    expect(answer.status).toBe(200);
    // Answered before the webhook's 200: the user sees the notice while the update waits.
    const notice = telegram.calls({ method: 'answerCallbackQuery' }).find((call) => call.params.callback_query_id === queryId(update, 'callback_query'));
    expect(notice?.ok).toBe(true);
    expect(notice?.params.text).toBe(PASSIVE_NOTICE);
    expect((await eventsOf(bot.url, update.update_id as number)).map((event) => event.event)).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT']);
    const data = await passiveReject(bot.url, update.update_id as number);
    expect(data).toEqual({ kind: 'callback_query', answered: true, elapsed_ms: expect.any(Number), notice: PASSIVE_NOTICE });
    expect(data.elapsed_ms).toBeGreaterThan(0);
  }

  expect((await postUpdate(bot.url, payment)).status).toBe(200);
  const refusal = telegram.calls({ method: 'answerPreCheckoutQuery' }).find((call) => call.params.pre_checkout_query_id === queryId(payment, 'pre_checkout_query'));
  expect(refusal?.ok).toBe(true);
  expect(refusal?.params.ok).toBe(false);
  expect(refusal?.params.error_message).toBe(PASSIVE_PAYMENT_NOTICE);
  expect((await eventsOf(bot.url, payment.update_id as number)).map((event) => event.event)).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT']);
  expect(await passiveReject(bot.url, payment.update_id as number)).toEqual({ kind: 'pre_checkout_query', answered: true, elapsed_ms: expect.any(Number), notice: PASSIVE_PAYMENT_NOTICE });
});

it('records answered=false with Telegram’s error code when Telegram refuses the answer', async () => {
  const description = 'Bad Request: query is too old and response timeout expired or query ID is invalid';
  telegram.injectFault({ method: 'answerCallbackQuery', errorCode: 400, description });
  expect((await postUpdate(bot.url, refusedPress)).status).toBe(200);
  expect((await eventsOf(bot.url, refusedPress.update_id as number)).map((event) => event.event)).toEqual(['UPDATE_RECEIVED', 'REPLY_FAILED', 'PASSIVE_REJECT']);
  expect(await passiveReject(bot.url, refusedPress.update_id as number)).toEqual({
    kind: 'callback_query',
    answered: false,
    elapsed_ms: expect.any(Number),
    notice: PASSIVE_NOTICE,
    telegram_error_code: 400,
    error: description,
  });
});

it('records answered=false without an error code when Telegram cannot be reached', async () => {
  // A second standby whose Bot API root has nothing listening. Stopped before the lock is freed:
  // it must not be the one that becomes ACTIVE.
  const cutOff = await startTestBot({ databaseUrl: env.databaseUrl, truthFile: env.truthFile, telegramApiRoot: `http://127.0.0.1:${await freePort()}` });
  try {
    expect((await postUpdate(cutOff.url, unreachablePayment)).status).toBe(200);
    const data = await passiveReject(cutOff.url, unreachablePayment.update_id as number);
    expect(data).toEqual({ kind: 'pre_checkout_query', answered: false, elapsed_ms: expect.any(Number), notice: PASSIVE_PAYMENT_NOTICE, error: expect.any(String) });
    expect(String(data.error)).not.toBe('');
  } finally {
    await cutOff.stop('test over');
  }
});

it('does nothing else while PASSIVE; once ACTIVE it does the work without answering any query twice', async () => {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(kie.tasks()).toHaveLength(0);
  expect(telegram.calls({ method: 'sendInvoice' })).toHaveLength(0);
  expect(telegram.calls({ method: 'setWebhook' })).toHaveLength(0);
  const ledger = await sql.query('SELECT kind FROM credit_ledger WHERE chat_id = $1::bigint', [chatId]);
  expect(ledger.rows).toEqual([{ kind: 'grant' }]);

  await holder.query('SELECT pg_advisory_unlock($1::int)', [lockKey]);
  await eventually('the bot to become ACTIVE and process the stored updates', async () => {
    for (const update of [confirm, topup, payment, refusedPress, unreachablePayment]) {
      if (!(await eventsOf(bot.url, update.update_id as number)).some((event) => event.event === 'DISPATCH_OK')) return undefined;
    }
    return kie.tasks().length === 1 && telegram.calls({ method: 'sendInvoice', chatId }).length === 1 ? true : undefined;
  }, 20_000, 100);
  expect(kie.tasks()[0]!.input.prompt).toBe('queued picture');
  for (const update of [confirm, topup, refusedPress]) {
    expect(telegram.calls({ method: 'answerCallbackQuery' }).filter((call) => call.params.callback_query_id === queryId(update, 'callback_query'))).toHaveLength(1);
  }
  expect(telegram.calls({ method: 'answerPreCheckoutQuery' }).filter((call) => call.params.pre_checkout_query_id === queryId(payment, 'pre_checkout_query'))).toHaveLength(1);
  // The flag is stored before the answer is tried, so the ACTIVE leaves the query alone even when
  // the standby's answer never arrived: an answer that timed out may well have, and Telegram takes one.
  expect(telegram.calls({ method: 'answerPreCheckoutQuery' }).filter((call) => call.params.pre_checkout_query_id === queryId(unreachablePayment, 'pre_checkout_query'))).toHaveLength(0);
  expect(telegram.calls({ method: 'setWebhook' })).toHaveLength(1);
});
