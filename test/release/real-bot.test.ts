/**
 * Issue 7 check 2 against the demo bot itself: embedded PostgreSQL, the Telegram and KIE
 * emulators, an ACTIVE and a PASSIVE instance of the real bot, the Render API emulator for the
 * deploy (201) and its logs for the watch, and a temporary git repository. `trt release` runs
 * verify → test → smoke → deploy → live → watch → tag, writes its report (valid against the
 * schema) and a ledger line, and prints no secret.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBot } from '../../bot/app.js';
import { KieEmulator } from '../../emulators/kie/server.js';
import { RenderEmulator } from '../../emulators/render/server.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { runTrt } from '../cli/run.js';
import { botEnvironment, freePort, startTestBot, TEST_ADMIN_SECRET, TEST_KIE_KEY, TEST_TOKEN, TEST_WEBHOOK_SECRET, writeTestTruth, type BotEnv } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { git, head, ledger, logLine, makeRepo, OWNER, parseReport, releaseReportValidator, removeRepos, RENDER_KEY, renderEnv, SERVICE, tags, today, whenLive } from './support.js';

let database: TestPostgres;
let telegram: TelegramEmulator;
let kie: KieEmulator;
let render: RenderEmulator;
let active: RunningBot;
let passive: RunningBot;
let env: BotEnv;

beforeAll(async () => {
  database = await startTestPostgres();
  const databaseUrl = await database.createDatabase('release');
  telegram = await TelegramEmulator.start({ token: TEST_TOKEN });
  kie = await KieEmulator.start({ apiKey: TEST_KIE_KEY });
  render = await RenderEmulator.start({ apiKey: RENDER_KEY, ownerId: OWNER, serviceIds: [SERVICE] });
  const port = await freePort();
  env = { databaseUrl, telegramApiRoot: telegram.apiRoot, truthFile: writeTestTruth(), port, publicUrl: `http://127.0.0.1:${port}`, kieApiRoot: kie.apiRoot };
  active = await startTestBot(env);
  passive = await startTestBot({ ...env, port: await freePort() });
}, 120_000);

afterAll(async () => {
  await passive?.stop('test over');
  await active?.stop('test over');
  await render?.stop();
  await kie?.stop();
  await telegram?.stop();
  await database?.destroy();
  removeRepos();
});

it('releases the real bot: deploy → live → watch → tag, with the report and the ledger line', async () => {
  const repo = makeRepo();
  const { PORT: _port, PUBLIC_URL: _public, ...botSecrets } = botEnvironment(env);
  const logsDuringWatch = whenLive(render, () => render.addLogs([logLine('trt-bot started'), logLine('lock acquired: ACTIVE'), logLine('webhook set')]));
  const run = await runTrt(['release', '--root', repo, '--url', active.url, '--passive-url', passive.url, '--watch', '3s', '--format', 'json'], {
    env: { ...botSecrets, ...renderEnv(render), TRT_TEST_LOG_LEVEL: 'silent' },
  });
  await logsDuringWatch;
  const report = parseReport(run.stdout, run.stderr);
  const gates = report.gates.map((gate) => `${gate.name}:${gate.status}: ${gate.reason}`);
  expect(report.gates.every((gate) => gate.status === 'pass'), gates.join('\n')).toBe(true);
  expect(run.code).toBe(0);
  expect(report).toMatchObject({ outcome: 'released', clean: true, commit: head(repo), tag: `stable-${today()}-1` });

  const smoke = report.gates.find((gate) => gate.name === 'smoke')!;
  expect((smoke.evidence.summary as { failed: number; passed: number }).failed).toBe(0);
  expect((smoke.evidence.summary as { passed: number }).passed).toBeGreaterThanOrEqual(6);
  const deploy = report.gates.find((gate) => gate.name === 'deploy')!;
  expect(deploy.evidence).toMatchObject({ via: 'api', triggerStatus: 201, foundBy: 'the trigger’s 201 answer' });
  expect(render.deploys().map((entry) => entry.status)).toEqual(['live']);
  const watch = report.gates.find((gate) => gate.name === 'watch')!;
  expect(watch.evidence).toMatchObject({ linesSeen: 3, matches: [], startedAt: 'when the deploy went live' });
  expect(Date.parse((watch.evidence.window as { since: string }).since)).toBe(Date.parse(render.deploys()[0]!.finishedAt!));

  expect(tags(repo)).toEqual([`stable-${today()}-1`]);
  expect(git(repo, 'tag', '-l', '--format=%(contents)', `stable-${today()}-1`)).toContain(`report: artifacts/${report.id}.json`);

  const validate = releaseReportValidator();
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  expect(ledger(repo)).toEqual([report]);
  const written = [readFileSync(join(repo, 'artifacts', `${report.id}.json`), 'utf8'), readFileSync(join(repo, 'artifacts', `${report.id}.md`), 'utf8')];
  for (const text of [run.stdout, run.stderr, ...written]) {
    for (const secret of [TEST_TOKEN, TEST_WEBHOOK_SECRET, TEST_ADMIN_SECRET, TEST_KIE_KEY, RENDER_KEY]) expect(text).not.toContain(secret);
  }
}, 180_000);
