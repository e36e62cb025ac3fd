/**
 * Issue 5 checks 2, 3 and 5: `trt smoke` against deliberately broken services (the in-memory
 * double of the bot's HTTP contract in test/support/fake-bot.ts, one fault at a time) fails
 * exactly the scenario whose clause the fault breaks, names the defect in its reason and exits 1;
 * the healthy double passes everything. An unreachable URL fails every scenario with a
 * connection reason; --require turns a skip into a failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTrt, type TrtRun } from '../cli/run.js';
import { freePort } from '../support/bot.js';
import { createFakeState, startFakeBot, type Fault, type FakeBot } from '../support/fake-bot.js';

const WEBHOOK_SECRET = 'fake-webhook-secret-0123456789';
const ADMIN_SECRET = 'fake-admin-secret-0123456789';
const HEALTH_SERVER = `"${process.execPath}" test/fixtures/smoke/health-server.mjs`;

interface Report {
  scenarios: { id: string; status: string; reason: string; evidence: Record<string, unknown> }[];
  summary: { passed: number; failed: number; skipped: number };
}

const running: FakeBot[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((bot) => bot.close()));
});

async function services(faults: { active?: Fault[]; passive?: Fault[] } = {}): Promise<{ url: string; passiveUrl: string }> {
  const shared = createFakeState();
  const active = await startFakeBot({ mode: 'ACTIVE', webhookSecret: WEBHOOK_SECRET, adminSecret: ADMIN_SECRET, shared, faults: faults.active ?? [] });
  const passive = await startFakeBot({ mode: 'PASSIVE', webhookSecret: WEBHOOK_SECRET, adminSecret: ADMIN_SECRET, shared, faults: faults.passive ?? [] });
  running.push(active, passive);
  return { url: active.url, passiveUrl: passive.url };
}

async function smoke(args: string[]): Promise<{ run: TrtRun; report: Report }> {
  const run = await runTrt(['smoke', ...args, '--format', 'json', '--no-artifacts'], { env: { WEBHOOK_SECRET, ADMIN_SECRET } });
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`trt smoke printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { run, report };
}

function everything(urls: { url: string; passiveUrl: string }, spawn = HEALTH_SERVER): string[] {
  return ['--url', urls.url, '--passive-url', urls.passiveUrl, '--allow-mutations', '--spawn', spawn];
}

const failed = (report: Report) => report.scenarios.filter((scenario) => scenario.status === 'fail');
const describeRun = (report: Report) => report.scenarios.map((scenario) => `${scenario.id} ${scenario.status}: ${scenario.reason}`).join('\n');

it('passes every scenario against the healthy double', async () => {
  const { run, report } = await smoke(everything(await services()));
  expect(report.summary, describeRun(report)).toEqual({ passed: 9, failed: 0, skipped: 0 });
  expect(run.code).toBe(0);
}, 60_000);

describe('a broken service fails exactly the matching scenario, with the defect in the reason', () => {
  const cases: { fault: Fault; on?: 'passive'; scenario: string; reason: RegExp }[] = [
    { fault: 'health-number-as-string', scenario: 'S0', reason: /lock_idle_s is the string "54\.09", expected a number/ },
    { fault: 'health-missing-field', scenario: 'S0', reason: /migrations_applied is missing/ },
    { fault: 'health-500', scenario: 'S0', reason: /GET \/health answered 500/ },
    { fault: 'no-reply-to-start', scenario: 'S1', reason: /no REPLY_SENT for \/start within 3000 ms \(the update was stored but no reply was recorded\)/ },
    { fault: 'pending-migration', scenario: 'S2', reason: /1 pending migration: 006_pending\.sql/ },
    { fault: 'slow-webhook', scenario: 'S3', reason: /20 of 20 updates were answered over the 500 ms SLA/ },
    { fault: 'no-secret-check', scenario: 'S3', reason: /no secret header was answered 200, expected 401 or 403: the webhook does not check/ },
    { fault: 'duplicates-processed-twice', scenario: 'S6', reason: /processed 6 times \(6 DISPATCH_OK/ },
    { fault: 'crash-on-malformed', scenario: 'S7', reason: /dropped a malformed update without an answer/ },
    { fault: 'passive-charges', on: 'passive', scenario: 'S4', reason: /got no PASSIVE_REJECT: the standby did not answer it/ },
  ];

  it.each(cases)('$fault → $scenario fails', async ({ fault, on, scenario, reason }) => {
    const urls = await services(on === 'passive' ? { passive: [fault] } : { active: [fault] });
    const { run, report } = await smoke(everything(urls));
    expect(failed(report).map((result) => result.id), describeRun(report)).toEqual([scenario]);
    expect(failed(report)[0]!.reason).toMatch(reason);
    expect(report.summary).toEqual({ passed: 8, failed: 1, skipped: 0 });
    expect(run.code).toBe(1);
  }, 90_000);

  it('a command that exits at start fails S8 with its exit code and output', async () => {
    const { run, report } = await smoke(['--url', (await services()).url, '--scenario', 'S8', '--spawn', `EXIT_AT_START=1 ${HEALTH_SERVER}`]);
    expect(report.scenarios[0]).toMatchObject({ id: 'S8', status: 'fail' });
    expect(report.scenarios[0]!.reason).toMatch(/the process exited \(code 1\) before \/health was healthy/);
    expect(JSON.stringify(report.scenarios[0]!.evidence.output)).toMatch(/EXIT_AT_START/);
    expect(run.code).toBe(1);
  }, 30_000);
});

it('fails every scenario that talks to an unreachable URL with a connection reason', async () => {
  // A port the OS just handed out and took back: nothing listens on it.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { run, report } = await smoke(['--url', url, '--passive-url', url, '--allow-mutations']);
  const byId = Object.fromEntries(report.scenarios.map((scenario) => [scenario.id, scenario]));
  for (const id of ['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7']) {
    expect(byId[id]!.status, id).toBe('fail');
    expect(byId[id]!.reason, id).toMatch(/cannot connect: ECONNREFUSED|not reachable \(cannot connect: ECONNREFUSED\)/);
  }
  expect(byId.S8).toMatchObject({ status: 'skip' });
  // The first request retried; every later one failed at once on the remembered reason.
  expect(report.scenarios.filter((scenario) => /not reachable/.test(scenario.reason))).toHaveLength(7);
  expect(run.code).toBe(1);
}, 30_000);

describe('--require', () => {
  it('turns the skip of a scenario whose needs are unmet into a failure (exit 1)', async () => {
    const { url } = await services();
    const { run, report } = await smoke(['--url', url, '--scenario', 'S0,S4', '--require', 'S4']);
    expect(report.scenarios.find((scenario) => scenario.id === 'S4')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/required \(--require S4\) but it cannot run: pass --passive-url/) });
    expect(run.code).toBe(1);
  }, 30_000);

  it('without it the scenario is skipped with what to pass, and the run passes (exit 0)', async () => {
    const { url } = await services();
    const { run, report } = await smoke(['--url', url, '--scenario', 'S0,S4']);
    expect(report.scenarios.find((scenario) => scenario.id === 'S4')).toMatchObject({ status: 'skip', reason: expect.stringMatching(/pass --passive-url/) });
    expect(report.summary).toEqual({ passed: 1, failed: 0, skipped: 1 });
    expect(run.code).toBe(0);
  }, 30_000);
});
