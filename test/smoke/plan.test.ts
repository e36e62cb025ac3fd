/**
 * What `trt smoke --dry-run` promises: which scenarios would run, what each still needs (said
 * as the flag or variable to provide), and every request it would send, to which service.
 * The CLI cases need `npm run build` (dist/cli/bin.js).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTruth } from '../../cli/core/truth.js';
import { planSmoke, unmetNeeds, type PlannedScenario } from '../../cli/smoke/runner.js';
import { SCENARIOS } from '../../cli/smoke/scenarios/index.js';
import { resolveSmokeSettings, type SmokeFlags } from '../../cli/smoke/settings.js';
import { REPO, runTrt } from '../cli/run.js';

const truth = loadTruth(join(REPO, 'product', 'truth.yaml')).truth;
const SECRETS = { WEBHOOK_SECRET: 'webhook-secret-for-plan', ADMIN_SECRET: 'admin-secret-for-plan' };
const URL_ONLY: SmokeFlags = { url: 'http://127.0.0.1:9' };
const EVERYTHING: SmokeFlags = { url: 'http://127.0.0.1:9', passiveUrl: 'http://127.0.0.1:10', allowMutations: true, spawn: 'npm start' };

function planned(id: string, plan: PlannedScenario[]): PlannedScenario {
  const found = plan.find((scenario) => scenario.id === id);
  if (!found) throw new Error(`${id} is not in the plan`);
  return found;
}

function scenario(id: string) {
  const found = SCENARIOS.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
}

describe('planSmoke and unmetNeeds', () => {
  it('plans every scenario in order when none is selected', () => {
    const plan = planSmoke(resolveSmokeSettings(truth, URL_ONLY, REPO, SECRETS));
    expect(plan.map((entry) => entry.id)).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']);
  });

  it('with only the secrets set, skips S4, S5 and S8 naming the flag each needs', () => {
    const plan = planSmoke(resolveSmokeSettings(truth, URL_ONLY, REPO, SECRETS));
    for (const id of ['S0', 'S1', 'S2', 'S3', 'S6', 'S7']) expect(planned(id, plan)).toMatchObject({ runs: true, unmet: [] });
    const needs = { S4: '--passive-url', S5: '--allow-mutations', S8: '--spawn' };
    for (const [id, flag] of Object.entries(needs)) {
      const entry = planned(id, plan);
      expect(entry.runs).toBe(false);
      expect(entry.unmet).toHaveLength(1);
      expect(entry.unmet[0]).toContain(flag);
    }
  });

  it('with no secrets in the environment, names the variables S1 needs', () => {
    const settings = resolveSmokeSettings(truth, URL_ONLY, REPO, {});
    const unmet = unmetNeeds(scenario('S1'), settings).join('\n');
    expect(unmet).toContain('WEBHOOK_SECRET');
    expect(unmet).toContain('ADMIN_SECRET');
    expect(unmetNeeds(scenario('S0'), settings)).toEqual([]);
  });

  it('names the variables truth.yaml chooses, not the default ones', () => {
    const renamed = { ...truth, security: { ...truth.security, webhook_secret_env: 'BOT_HOOK_SECRET', admin_secret_env: 'BOT_ADMIN_SECRET' } };
    const unmet = unmetNeeds(scenario('S1'), resolveSmokeSettings(renamed, URL_ONLY, REPO, SECRETS)).join('\n');
    expect(unmet).toContain('BOT_HOOK_SECRET');
    expect(unmet).toContain('BOT_ADMIN_SECRET');
  });

  it("plans S3's updates as truth.yaml counts them, plus the two that must be refused", () => {
    const requests = truth.smoke?.scenarios?.S3?.requests;
    expect(typeof requests).toBe('number');
    const s3 = planned('S3', planSmoke(resolveSmokeSettings(truth, URL_ONLY, REPO, SECRETS)));
    const posts = s3.requests.filter((request) => request.method === 'POST' && request.path === '/webhook');
    expect(posts.reduce((sum, request) => sum + request.times, 0)).toBe((requests as number) + 2);
  });

  it('plans requests only to the given services, Telegram and the spawned process', () => {
    const settings = resolveSmokeSettings(truth, EVERYTHING, REPO, { ...SECRETS, TELEGRAM_BOT_TOKEN: `123456789:AA${'x'.repeat(33)}` });
    const plan = planSmoke(settings);
    expect(plan.every((entry) => entry.runs)).toBe(true);
    const targets = new Set(plan.flatMap((entry) => entry.requests.map((request) => request.target)));
    expect([...targets].every((target) => ['url', 'passive-url', 'telegram', 'spawned'].includes(target))).toBe(true);
    for (const entry of plan) {
      for (const request of entry.requests) {
        expect(request.times).toBeGreaterThan(0);
        expect(request.path.startsWith('/')).toBe(true);
      }
    }
  });

  it('plans only the selected scenarios', () => {
    const plan = planSmoke(resolveSmokeSettings(truth, { ...URL_ONLY, scenario: ['S3,s0'] }, REPO, SECRETS));
    expect(plan.map((entry) => entry.id)).toEqual(['S0', 'S3']);
  });
});

describe('trt smoke --dry-run', () => {
  it('lists S0 to S8, says nothing is sent and never prints a secret', async () => {
    const secret = 'some-long-secret-value';
    const run = await runTrt(['smoke', '--url', 'http://127.0.0.1:9', '--dry-run'], { env: { WEBHOOK_SECRET: secret } });
    expect(run.code).toBe(0);
    for (const id of ['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']) expect(run.stdout).toMatch(new RegExp(`^${id} `, 'm'));
    expect(run.stdout).toContain('nothing is sent');
    expect(run.stdout).not.toContain(secret);
  });

  it('refuses a --url that is not a URL with exit 2, naming the flag', async () => {
    const run = await runTrt(['smoke', '--url', 'not-a-url', '--no-artifacts']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--url');
  });

  it('refuses an unknown scenario with exit 2', async () => {
    const run = await runTrt(['smoke', '--url', 'http://x', '--scenario', 'S9', '--no-artifacts']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('S9');
  });
});
