/**
 * Check 4 of the bot-core issue: with the database stopped, the webhook answers 503 (never a 200
 * for an update it could not store) and /health says `error` in a body that still validates;
 * once the database is back, updates are stored and processed again.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBot } from '../../bot/app.js';
import type { AppEvent } from '../../bot/events/events.js';
import { packageFile } from '../../cli/core/package-root.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { adminGet, eventually, postUpdate, startTestBot, TEST_TOKEN, textUpdate, writeTestTruth } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

const validateHealth = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(packageFile('schemas/health.schema.json'), 'utf8')) as object);

let database: TestPostgres;
let emulator: TelegramEmulator;
let bot: RunningBot;

beforeAll(async () => {
  database = await startTestPostgres();
  const databaseUrl = await database.createDatabase('outage');
  emulator = await TelegramEmulator.start({ token: TEST_TOKEN });
  const truthFile = writeTestTruth({ database: { heartbeat_interval_s: 0.5, stale_heartbeat_s: 30 } });
  bot = await startTestBot({ databaseUrl, telegramApiRoot: emulator.apiRoot, truthFile });
});

afterAll(async () => {
  await bot?.stop('test over');
  await emulator?.stop();
  await database?.destroy();
});

it('answers 503 while the database is down and resumes processing after it is back', async () => {
  const before = 1_000_000_100_000;
  expect((await postUpdate(bot.url, textUpdate(before, 990000101, '/start'))).status).toBe(200);
  await eventually('the first update processed', async () => ((await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?update_id=${before}`)).events.some((event) => event.event === 'DISPATCH_OK') ? true : undefined));

  await database.stop();
  const during = 1_000_000_100_001;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const answer = await postUpdate(bot.url, textUpdate(during, 990000101, '/help'));
    expect(answer.status).toBe(503);
  }
  const health = await eventually('/health to report the outage', async () => {
    const body = (await (await fetch(`${bot.url}/health`)).json()) as Record<string, unknown>;
    return body.status === 'error' ? body : undefined;
  });
  expect(validateHealth(health), JSON.stringify(validateHealth.errors)).toBe(true);
  expect(health.active).toBe(false);

  await database.start();
  // Telegram keeps retrying the update it got a 503 for: so does this test.
  await eventually('the webhook to store again', async () => ((await postUpdate(bot.url, textUpdate(during, 990000101, '/help'))).status === 200 ? true : undefined), 30_000, 250);
  const recorded = await eventually(
    'the update refused during the outage to be processed',
    async () => {
      const list = (await adminGet<{ events: AppEvent[] }>(bot.url, `/admin/events?update_id=${during}`)).events;
      return list.some((event) => event.event === 'DISPATCH_OK') ? list : undefined;
    },
    30_000,
    250,
  );
  expect(recorded.filter((event) => event.event === 'DISPATCH_OK')).toHaveLength(1);
  const after = await eventually('/health to recover', async () => {
    const body = (await (await fetch(`${bot.url}/health`)).json()) as Record<string, unknown>;
    return body.status === 'ok' && body.active === true ? body : undefined;
  });
  expect(validateHealth(after), JSON.stringify(validateHealth.errors)).toBe(true);
});
