/**
 * Issue 4 check 8: on a PASSIVE instance a button press is answered at once with the "updating"
 * notice, and nothing is generated, invoiced, charged or registered there; once the instance
 * becomes ACTIVE it does the work from the stored updates, without answering them twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBot } from '../../bot/app.js';
import type { AppEvent } from '../../bot/events/events.js';
import { PASSIVE_NOTICE } from '../../bot/telegram/texts.js';
import { KieEmulator } from '../../emulators/kie/server.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { adminGet, callbackUpdate, eventually, freePort, postUpdate, startTestBot, TEST_KIE_KEY, TEST_TOKEN, testConfig, testPool, writeTestTruth } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let database: TestPostgres;
let telegram: TelegramEmulator;
let kie: KieEmulator;
let bot: RunningBot;
let sql: pg.Pool;
let holder: pg.Client;
let lockKey: number;

beforeAll(async () => {
  database = await startTestPostgres();
  const databaseUrl = await database.createDatabase('passive');
  telegram = await TelegramEmulator.start({ token: TEST_TOKEN });
  kie = await KieEmulator.start({ apiKey: TEST_KIE_KEY });
  const truthFile = writeTestTruth({ database: { heartbeat_interval_s: 1 } });
  const port = await freePort();
  const env = { databaseUrl, telegramApiRoot: telegram.apiRoot, truthFile, port, publicUrl: `http://127.0.0.1:${port}`, kieApiRoot: kie.apiRoot };
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

it('answers button presses with the notice, does nothing else, and the ACTIVE does the work later without answering twice', async () => {
  const health = (await (await fetch(`${bot.url}/health`)).json()) as { lock_state: string };
  expect(health.lock_state).toBe('PASSIVE');
  const chatId = 990200001;
  await sql.query("INSERT INTO credit_ledger (chat_id, kind, amount, ref) VALUES ($1::bigint, 'grant', 5, 'passive-test-grant')", [chatId]);
  await sql.query("INSERT INTO chat_state (chat_id, model_id, prompt, awaiting) VALUES ($1::bigint, 'test/fast-image', 'queued picture', 'confirm')", [chatId]);

  const confirm = callbackUpdate(1_000_000_600_001, chatId, 'gen:confirm');
  const topup = callbackUpdate(1_000_000_600_002, chatId, 'topup:10');
  for (const update of [confirm, topup]) {
    const answer = await postUpdate(bot.url, update);
    expect(answer.status).toBe(200);
    // Answered before the webhook's 200: the user sees the notice while the update waits.
    const notice = telegram.calls({ method: 'answerCallbackQuery' }).find((call) => call.params.callback_query_id === (update.callback_query as { id: string }).id);
    expect(notice?.ok).toBe(true);
    expect(notice?.params.text).toBe(PASSIVE_NOTICE);
    const events = (await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?update_id=${update.update_id}`)).events.map((event) => event.event);
    expect(events).toEqual(['UPDATE_RECEIVED', 'REPLY_SENT', 'PASSIVE_REJECT']);
  }

  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(kie.tasks()).toHaveLength(0);
  expect(telegram.calls({ method: 'sendInvoice' })).toHaveLength(0);
  expect(telegram.calls({ method: 'setWebhook' })).toHaveLength(0);
  const ledger = await sql.query('SELECT kind FROM credit_ledger WHERE chat_id = $1::bigint', [chatId]);
  expect(ledger.rows).toEqual([{ kind: 'grant' }]);

  await holder.query('SELECT pg_advisory_unlock($1::int)', [lockKey]);
  await eventually('the bot to become ACTIVE and process the stored presses', async () => {
    const tasks = kie.tasks();
    const invoices = telegram.calls({ method: 'sendInvoice', chatId });
    return tasks.length === 1 && invoices.length === 1 ? true : undefined;
  }, 20_000, 100);
  expect(kie.tasks()[0]!.input.prompt).toBe('queued picture');
  expect(telegram.calls({ method: 'answerCallbackQuery' })).toHaveLength(2);
  expect(telegram.calls({ method: 'setWebhook' })).toHaveLength(1);
});
