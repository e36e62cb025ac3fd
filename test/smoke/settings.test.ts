import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TrtError } from '../../cli/core/errors.js';
import type { Truth } from '../../cli/core/truth.js';
import { resolveSmokeSettings, type SmokeFlags } from '../../cli/smoke/settings.js';
import { REPO } from '../cli/run.js';

const URL_FLAG: SmokeFlags = { url: 'http://127.0.0.1:8080' };

interface RegistryModel {
  id: string;
  price_credits: number;
  enabled?: boolean;
}
const registry = (parse(readFileSync(join(REPO, 'product', 'models.yaml'), 'utf8')) as { models: RegistryModel[] }).models;

function truthWith(rest: Omit<Truth, 'version'>): Truth {
  return { version: 1, ...rest };
}

function withS5Model(model: string | undefined): Truth {
  return truthWith({ generation: { models: 'product/models.yaml' }, smoke: { scenarios: { S5: model === undefined ? {} : { model } } } });
}

function usageError(resolveIt: () => unknown): TrtError {
  try {
    resolveIt();
  } catch (error) {
    if (error instanceof TrtError) return error;
    throw error;
  }
  throw new Error('the settings resolved, expected a TrtError');
}

const temporaryRoots: string[] = [];
afterAll(() => {
  for (const root of temporaryRoots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function emptyRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'trt-smoke-settings-'));
  temporaryRoots.push(root);
  return root;
}

describe('thresholds', () => {
  it('come from smoke.scenarios', () => {
    const truth = truthWith({
      smoke: {
        max_requests: 120,
        scenarios: {
          S0: { sla_ms: 150 },
          S1: { reply_within_ms: 2500 },
          S3: { requests: 7, sla_ms: 400 },
          S4: { answer_within_ms: 800 },
          S5: { model: 'test/fast-image', result_within_ms: 12_000 },
          S8: { healthy_within_s: 30 },
        },
      },
      routes: [
        { method: 'GET', path: '/health', sla_ms: 999 },
        { method: 'POST', path: '/webhook', sla_ms: 999 },
      ],
    });
    const settings = resolveSmokeSettings(truth, URL_FLAG, REPO, {});
    expect(settings.thresholds).toEqual({
      S0: { slaMs: 150 },
      S1: { replyWithinMs: 2500 },
      S3: { requests: 7, slaMs: 400 },
      S4: { answerWithinMs: 800 },
      S5: { model: 'test/fast-image', resultWithinMs: 12_000 },
      S8: { healthyWithinS: 30 },
    });
    expect(settings.maxRequests).toBe(120);
  });

  it('fall back to the routes sla_ms, then to the defaults', () => {
    const withRoutes = truthWith({
      routes: [
        { method: 'GET', path: '/health', sla_ms: 250 },
        { method: 'POST', path: '/webhook', sla_ms: 700 },
      ],
    });
    const fromRoutes = resolveSmokeSettings(withRoutes, URL_FLAG, REPO, {}).thresholds;
    expect(fromRoutes.S0.slaMs).toBe(250);
    expect(fromRoutes.S3.slaMs).toBe(700);

    const bare = resolveSmokeSettings(truthWith({}), URL_FLAG, REPO, {});
    expect(bare.thresholds).toEqual({
      S0: { slaMs: 200 },
      S1: { replyWithinMs: 3000 },
      S3: { requests: 20, slaMs: 500 },
      S4: { answerWithinMs: 1000 },
      S5: { model: null, resultWithinMs: 30_000 },
      S8: { healthyWithinS: 60 },
    });
    expect(bare.maxRequests).toBe(400);
  });
});

describe('secrets', () => {
  const truth = truthWith({
    env: { secret: ['KIE_API_KEY', 'DATABASE_URL', 'RENDER_API_KEY'] },
    security: { webhook_secret_env: 'MY_HOOK_SECRET', admin_secret_env: 'MY_ADMIN_SECRET' },
  });

  it('are read only from the variables security.*_secret_env names', () => {
    const settings = resolveSmokeSettings(truth, URL_FLAG, REPO, {
      MY_HOOK_SECRET: 'hook-secret-value',
      MY_ADMIN_SECRET: 'admin-secret-value',
      WEBHOOK_SECRET: 'not-this-one',
      ADMIN_SECRET: 'nor-this-one',
    });
    expect(settings.webhookSecret).toEqual({ env: 'MY_HOOK_SECRET', value: 'hook-secret-value' });
    expect(settings.adminSecret).toEqual({ env: 'MY_ADMIN_SECRET', value: 'admin-secret-value' });
  });

  it('are null when their variable is unset or empty', () => {
    const settings = resolveSmokeSettings(truth, URL_FLAG, REPO, { MY_HOOK_SECRET: '', WEBHOOK_SECRET: 'not-this-one' });
    expect(settings.webhookSecret).toEqual({ env: 'MY_HOOK_SECRET', value: null });
    expect(settings.adminSecret).toEqual({ env: 'MY_ADMIN_SECRET', value: null });
  });

  it('default to WEBHOOK_SECRET and ADMIN_SECRET when truth.yaml names none', () => {
    const settings = resolveSmokeSettings(truthWith({}), URL_FLAG, REPO, { WEBHOOK_SECRET: 'hook-secret-value', ADMIN_SECRET: 'admin-secret-value' });
    expect(settings.webhookSecret).toEqual({ env: 'WEBHOOK_SECRET', value: 'hook-secret-value' });
    expect(settings.adminSecret).toEqual({ env: 'ADMIN_SECRET', value: 'admin-secret-value' });
  });

  it('secretValues holds every env.secret value present plus the webhook and admin secrets', () => {
    const settings = resolveSmokeSettings(truth, URL_FLAG, REPO, {
      KIE_API_KEY: 'kie-key-value',
      DATABASE_URL: 'postgres://u:p@db/x',
      MY_HOOK_SECRET: 'hook-secret-value',
      MY_ADMIN_SECRET: 'admin-secret-value',
      HOME: '/home/not-a-secret',
    });
    expect(settings.secretValues).toEqual(expect.arrayContaining(['kie-key-value', 'postgres://u:p@db/x', 'hook-secret-value', 'admin-secret-value']));
    expect(settings.secretValues).not.toContain('/home/not-a-secret');
    expect(settings.secretValues.every((value) => typeof value === 'string' && value !== '')).toBe(true);
  });
});

describe('--url and --passive-url', () => {
  it.each([
    ['not a URL', 'not-a-url'],
    ['not http(s)', 'ftp://files.example.com'],
    ['carrying credentials', 'https://user:pass@bot.example.com'],
  ])('--url %s is a BAD_FLAG naming the flag', (_case, url) => {
    const error = usageError(() => resolveSmokeSettings(truthWith({}), { url }, REPO, {}));
    expect(error.code).toBe('BAD_FLAG');
    expect(error.message).toContain('--url');
  });

  it('--passive-url is checked the same way and named', () => {
    const error = usageError(() => resolveSmokeSettings(truthWith({}), { ...URL_FLAG, passiveUrl: 'ftp://standby' }, REPO, {}));
    expect(error.code).toBe('BAD_FLAG');
    expect(error.message).toContain('--passive-url');
  });

  it('keeps a valid URL without its trailing slash, so paths can be appended', () => {
    const settings = resolveSmokeSettings(truthWith({}), { url: 'https://bot.example.com/', passiveUrl: 'http://127.0.0.1:8081/' }, REPO, {});
    expect(settings.url).toBe('https://bot.example.com');
    expect(settings.passiveUrl).toBe('http://127.0.0.1:8081');
  });
});

describe('--scenario and --require', () => {
  it('select all scenarios by default and nothing required', () => {
    const settings = resolveSmokeSettings(truthWith({}), URL_FLAG, REPO, {});
    expect(settings.scenarios).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']);
    expect(settings.required.size).toBe(0);
  });

  it('accept lower case and commas, and come out in canonical order', () => {
    expect(resolveSmokeSettings(truthWith({}), { ...URL_FLAG, scenario: ['s0,S3'] }, REPO, {}).scenarios).toEqual(['S0', 'S3']);
    expect(resolveSmokeSettings(truthWith({}), { ...URL_FLAG, scenario: ['S3', 's0'] }, REPO, {}).scenarios).toEqual(['S0', 'S3']);
    expect([...resolveSmokeSettings(truthWith({}), { ...URL_FLAG, require: ['s4,s1'] }, REPO, {}).required].sort()).toEqual(['S1', 'S4']);
  });

  it('refuse an unknown scenario id, naming it', () => {
    const error = usageError(() => resolveSmokeSettings(truthWith({}), { ...URL_FLAG, scenario: ['S0,S9'] }, REPO, {}));
    expect(error.code).toBe('BAD_FLAG');
    expect(error.message).toContain('S9');
    expect(error.message).toContain('--scenario');

    const required = usageError(() => resolveSmokeSettings(truthWith({}), { ...URL_FLAG, require: ['S12'] }, REPO, {}));
    expect(required.code).toBe('BAD_FLAG');
    expect(required.message).toContain('S12');
  });
});

describe('the S5 price', () => {
  it('is the price of the S5 model in the registry truth.yaml names', () => {
    const fastImage = registry.find((model) => model.id === 'test/fast-image');
    expect(fastImage).toBeDefined();
    expect(resolveSmokeSettings(withS5Model('test/fast-image'), URL_FLAG, REPO, {}).s5Price).toBe(fastImage!.price_credits);
  });

  it('is a message naming the model when it is not in the registry', () => {
    const price = resolveSmokeSettings(withS5Model('nobody/no-such-model'), URL_FLAG, REPO, {}).s5Price;
    expect(typeof price).toBe('string');
    expect(price).toContain('nobody/no-such-model');
  });

  it('is a message saying so when the model is disabled', () => {
    const disabled = registry.find((model) => model.enabled === false);
    expect(disabled).toBeDefined();
    const price = resolveSmokeSettings(withS5Model(disabled!.id), URL_FLAG, REPO, {}).s5Price;
    expect(typeof price).toBe('string');
    expect(price).toContain(disabled!.id);
    expect(price).toContain('disabled');
  });

  it('is a message naming the key to set when no model or no registry is configured', () => {
    expect(resolveSmokeSettings(withS5Model(undefined), URL_FLAG, REPO, {}).s5Price).toContain('smoke.scenarios.S5.model');
    const noRegistry = truthWith({ smoke: { scenarios: { S5: { model: 'test/fast-image' } } } });
    expect(resolveSmokeSettings(noRegistry, URL_FLAG, REPO, {}).s5Price).toContain('generation.models');
  });

  it('is a message when the registry file cannot be read', () => {
    const truth = truthWith({ generation: { models: 'product/missing-models.yaml' }, smoke: { scenarios: { S5: { model: 'test/fast-image' } } } });
    const price = resolveSmokeSettings(truth, URL_FLAG, emptyRoot(), {}).s5Price;
    expect(typeof price).toBe('string');
    expect(price).toContain('missing-models.yaml');
  });
});

describe('the health schema', () => {
  it("is the repository's own schemas/health.schema.json", () => {
    expect(resolveSmokeSettings(truthWith({}), URL_FLAG, REPO, {}).healthSchemaPath).toBe(join(REPO, 'schemas', 'health.schema.json'));
    const root = emptyRoot();
    mkdirSync(join(root, 'schemas'));
    writeFileSync(join(root, 'schemas', 'health.schema.json'), '{}');
    expect(resolveSmokeSettings(truthWith({}), URL_FLAG, root, {}).healthSchemaPath).toBe(join(root, 'schemas', 'health.schema.json'));
  });

  it("is the one trt ships when the repository has none", () => {
    expect(resolveSmokeSettings(truthWith({}), URL_FLAG, emptyRoot(), {}).healthSchemaPath).toBe(join(REPO, 'schemas', 'health.schema.json'));
  });
});
