/**
 * Issue 5 check 1: `trt smoke` against the real bot — embedded PostgreSQL, the Telegram and KIE
 * emulators, an ACTIVE and a PASSIVE instance — passes every scenario S0–S8 with --passive-url,
 * --allow-mutations and --spawn (a third instance of dist/bot/main.js), and its reports hold
 * no secret. Check 4 on real output: the JSON validates against schemas/smoke-report.schema.json
 * and the JUnit file parses as XML with one testcase per scenario.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBot } from '../../bot/app.js';
import { KieEmulator } from '../../emulators/kie/server.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { REPO, runTrt } from '../cli/run.js';
import { botEnvironment, freePort, startTestBot, TEST_ADMIN_SECRET, TEST_KIE_KEY, TEST_TOKEN, TEST_WEBHOOK_SECRET, writeTestTruth, type BotEnv } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let database: TestPostgres;
let telegram: TelegramEmulator;
let kie: KieEmulator;
let active: RunningBot;
let passive: RunningBot;
let env: BotEnv;
let artifacts: string;

beforeAll(async () => {
  database = await startTestPostgres();
  const databaseUrl = await database.createDatabase('smoke');
  telegram = await TelegramEmulator.start({ token: TEST_TOKEN });
  kie = await KieEmulator.start({ apiKey: TEST_KIE_KEY });
  const truthFile = writeTestTruth();
  const activePort = await freePort();
  env = { databaseUrl, telegramApiRoot: telegram.apiRoot, truthFile, port: activePort, publicUrl: `http://127.0.0.1:${activePort}`, kieApiRoot: kie.apiRoot };
  active = await startTestBot(env);
  passive = await startTestBot({ ...env, port: await freePort() });
  artifacts = mkdtempSync(join(tmpdir(), 'trt-smoke-artifacts-'));
}, 120_000);

afterAll(async () => {
  await passive?.stop('test over');
  await active?.stop('test over');
  await kie?.stop();
  await telegram?.stop();
  await database?.destroy();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

it('passes S0–S8 against an ACTIVE and a PASSIVE instance, with mutations and a spawned cold start', async () => {
  const { PORT: _port, PUBLIC_URL: _public, ...spawnEnv } = botEnvironment(env);
  const run = await runTrt(
    ['smoke', '--url', active.url, '--passive-url', passive.url, '--allow-mutations', '--spawn', `"${process.execPath}" dist/bot/main.js`, '--format', 'json', '--artifacts', artifacts],
    { env: { ...spawnEnv, TRT_TEST_LOG_LEVEL: 'silent' } },
  );
  const report = JSON.parse(run.stdout) as { scenarios: { id: string; status: string; reason: string; evidence: Record<string, unknown> }[]; summary: Record<string, number> };
  const failures = report.scenarios.filter((scenario) => scenario.status !== 'pass').map((scenario) => `${scenario.id} ${scenario.status}: ${scenario.reason}`);
  expect(failures, run.stderr).toEqual([]);
  expect(report.scenarios.map((scenario) => scenario.id)).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']);
  expect(report.summary).toEqual({ passed: 9, failed: 0, skipped: 0 });
  expect(run.code).toBe(0);

  const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'smoke-report.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(schema);
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);

  const files = readdirSync(artifacts);
  const junitFile = files.find((name) => name.endsWith('.junit.xml'))!;
  const junit = readFileSync(join(artifacts, junitFile), 'utf8');
  expect(XMLValidator.validate(junit)).toBe(true);
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(junit) as { testsuites: { testsuite: { testcase: unknown[] } } };
  expect(parsed.testsuites.testsuite.testcase).toHaveLength(9);
  expect(files.some((name) => name.endsWith('.md'))).toBe(true);

  for (const name of files) {
    const text = readFileSync(join(artifacts, name), 'utf8');
    for (const secret of [TEST_TOKEN, TEST_WEBHOOK_SECRET, TEST_ADMIN_SECRET, TEST_KIE_KEY]) expect(text, `${name} holds a secret`).not.toContain(secret);
  }
  for (const secret of [TEST_TOKEN, TEST_WEBHOOK_SECRET, TEST_ADMIN_SECRET]) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
}, 180_000);
