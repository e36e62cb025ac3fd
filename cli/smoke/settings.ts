/**
 * Everything a smoke run needs, resolved once from the flags, truth.yaml and the environment:
 * which scenarios, against which URLs, with which thresholds and secrets. Secrets come only from
 * the environment variables truth.yaml names, never from flags (flags end up in shell history
 * and CI logs). A usage problem is a TrtError (exit 2) that says which flag or key to fix.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadModelRegistry } from '../../bot/generation/models.js';
import { TrtError } from '../core/errors.js';
import { packageFile } from '../core/package-root.js';
import { secretValuesFrom } from '../core/redact.js';
import type { Truth } from '../core/truth.js';
import { SCENARIO_IDS, type ScenarioId } from './scenario-ids.js';

export interface SmokeFlags {
  url: string;
  passiveUrl?: string;
  scenario?: string[];
  require?: string[];
  allowMutations?: boolean;
  spawn?: string;
}

export interface Thresholds {
  S0: { slaMs: number };
  S1: { replyWithinMs: number };
  S3: { requests: number; slaMs: number };
  S4: { answerWithinMs: number };
  S5: { model: string | null; resultWithinMs: number };
  S8: { healthyWithinS: number };
}

export interface SecretSetting {
  /** The variable truth.yaml names for it. */
  env: string;
  value: string | null;
}

export interface SmokeSettings {
  url: string;
  passiveUrl: string | null;
  chatId: number | null;
  scenarios: ScenarioId[];
  required: ReadonlySet<ScenarioId>;
  allowMutations: boolean;
  spawnCommand: string | null;
  webhookSecret: SecretSetting;
  adminSecret: SecretSetting;
  /** Read-only getWebhookInfo in S1 when a bot token is in the environment. */
  telegram: { token: string | null; apiRoot: string };
  thresholds: Thresholds;
  maxRequests: number;
  /** The price of the S5 model from the registry truth.yaml names; an error message when unknown. */
  s5Price: number | string;
  healthSchemaPath: string;
  /** Every secret value present in the environment: cut out of every report. */
  secretValues: string[];
}

const DEFAULT_MAX_REQUESTS = 400;
const BOT_TOKEN_ENV = 'TELEGRAM_BOT_TOKEN';
const TELEGRAM_API_ROOT_ENV = 'TELEGRAM_API_ROOT';

/** Resolves the run's settings; `root` is the repository the truth file describes (the cwd by default). */
export function resolveSmokeSettings(truth: Truth, flags: SmokeFlags, root: string, env: NodeJS.ProcessEnv = process.env): SmokeSettings {
  const url = checkUrl('--url', flags.url);
  const passiveUrl = flags.passiveUrl === undefined ? null : checkUrl('--passive-url', flags.passiveUrl);
  const scenarios = flags.scenario ? scenarioList('--scenario', flags.scenario) : [...SCENARIO_IDS];
  const required = new Set(flags.require ? scenarioList('--require', flags.require) : []);
  const smoke = truth.smoke ?? {};
  const s = (id: ScenarioId) => smoke.scenarios?.[id] ?? {};
  const routeSla = (method: string, path: string) => truth.routes?.find((route) => route.method === method && route.path === path)?.sla_ms;
  const num = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  const thresholds: Thresholds = {
    S0: { slaMs: num(s('S0').sla_ms, routeSla('GET', '/health') ?? 200) },
    S1: { replyWithinMs: num(s('S1').reply_within_ms, 3000) },
    S3: { requests: num(s('S3').requests, 20), slaMs: num(s('S3').sla_ms, routeSla('POST', '/webhook') ?? 500) },
    S4: { answerWithinMs: num(s('S4').answer_within_ms, 1000) },
    S5: { model: typeof s('S5').model === 'string' ? (s('S5').model as string) : null, resultWithinMs: num(s('S5').result_within_ms, 30_000) },
    S8: { healthyWithinS: num(s('S8').healthy_within_s, 60) },
  };
  const webhookEnv = truth.security?.webhook_secret_env ?? 'WEBHOOK_SECRET';
  const adminEnv = truth.security?.admin_secret_env ?? 'ADMIN_SECRET';
  const secretNames = [...new Set([...(truth.env?.secret ?? []), webhookEnv, adminEnv, BOT_TOKEN_ENV])];
  return {
    url,
    passiveUrl,
    chatId: smoke.chat_id ?? null,
    scenarios,
    required,
    allowMutations: flags.allowMutations === true,
    spawnCommand: flags.spawn?.trim() ? flags.spawn.trim() : null,
    webhookSecret: { env: webhookEnv, value: env[webhookEnv] || null },
    adminSecret: { env: adminEnv, value: env[adminEnv] || null },
    telegram: { token: env[BOT_TOKEN_ENV] || null, apiRoot: (env[TELEGRAM_API_ROOT_ENV] || 'https://api.telegram.org').replace(/\/+$/, '') },
    thresholds,
    maxRequests: smoke.max_requests ?? DEFAULT_MAX_REQUESTS,
    s5Price: modelPrice(truth, root, thresholds.S5.model),
    healthSchemaPath: healthSchema(root),
    secretValues: secretValuesFrom(secretNames, env),
  };
}

function checkUrl(flag: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TrtError('BAD_FLAG', `${flag} "${value}" is not a URL`, `pass the service's base URL, e.g. ${flag} https://bot.example.com`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TrtError('BAD_FLAG', `${flag} must be an http:// or https:// URL, not ${parsed.protocol}`, `e.g. ${flag} https://bot.example.com`);
  }
  if (parsed.username || parsed.password) {
    throw new TrtError('BAD_FLAG', `${flag} carries credentials in the URL`, `remove them: the admin secret comes from the environment variable truth.yaml names (security.admin_secret_env)`);
  }
  return parsed.href.replace(/\/+$/, '');
}

function scenarioList(flag: string, values: readonly string[]): ScenarioId[] {
  const ids = values.flatMap((value) => value.split(',')).map((id) => id.trim().toUpperCase()).filter(Boolean);
  const unknown = ids.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) {
    throw new TrtError('BAD_FLAG', `${flag}: unknown scenario ${unknown.join(', ')}`, `scenarios are ${SCENARIO_IDS.join(', ')}`);
  }
  return SCENARIO_IDS.filter((id) => ids.includes(id));
}

function modelPrice(truth: Truth, root: string, model: string | null): number | string {
  if (model === null) return 'smoke.scenarios.S5.model is not set in truth.yaml: name the model S5 generates with';
  const file = truth.generation?.models;
  if (!file) return 'generation.models is not set in truth.yaml, so the price of the S5 model is unknown';
  try {
    const found = loadModelRegistry(isAbsolute(file) ? file : join(root, file)).get(model);
    if (!found) return `the S5 model ${model} is not in the registry ${file}`;
    if (!found.enabled) return `the S5 model ${model} is disabled in ${file}`;
    return found.priceCredits;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The repository's own health schema when it has one, else the one trt ships. */
function healthSchema(root: string): string {
  const own = resolve(root, 'schemas', 'health.schema.json');
  return existsSync(own) ? own : packageFile('schemas/health.schema.json');
}
