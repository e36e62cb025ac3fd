/**
 * The bot's configuration: environment variables (the names product/truth.yaml declares) for
 * secrets and deployment facts, and the contract itself for every tunable — lock key, heartbeat
 * and stale thresholds, queue capacity, body limit — so there is one place to change them.
 */
import { isAbsolute, join } from 'node:path';
import { loadTruth, type Truth } from '../cli/core/truth.js';
import { packageRoot, packageVersion } from '../cli/core/package-root.js';

export interface BotConfig {
  telegramToken: string;
  webhookSecret: string;
  adminSecret: string;
  /** null: start the embedded PostgreSQL in {@link pgDataDir}. */
  databaseUrl: string | null;
  pgDataDir: string;
  host: string;
  port: number;
  /** When set, the ACTIVE instance registers `<publicUrl>/webhook` with Telegram. */
  publicUrl: string | null;
  telegramApiRoot: string;
  logLevel: string;
  version: string;
  truthFile: string;
  migrationsDir: string;
  lockKey: number;
  heartbeatIntervalS: number;
  staleHeartbeatS: number;
  staleIdleS: number;
  queueCapacity: number;
  workers: number;
  bodyLimitBytes: number;
  kieApiRoot: string;
  /** null: generation is switched off (users are told so). */
  kieApiKey: string | null;
  modelsFile: string;
  generationDeadlineS: number;
  generationPollIntervalS: number;
  /** The values of every env.secret variable: redacted from every log line. */
  secretValues: string[];
}

/** A configuration problem: one line naming the variable or key, and what to do. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** What the bot uses where truth.yaml is silent. */
const BOT_DEFAULTS = {
  lockKey: 74110001,
  heartbeatIntervalS: 15,
  staleHeartbeatS: 60,
  staleIdleS: 120,
  queueCapacity: 10000,
  workers: 4,
  bodyLimitBytes: 1048576,
  generationDeadlineS: 600,
  generationPollIntervalS: 15,
};

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): BotConfig {
  const root = packageRoot();
  const truthFile = resolveFrom(root, env.TRUTH_FILE || 'product/truth.yaml');
  let truth: Truth;
  try {
    truth = loadTruth(truthFile).truth;
  } catch (error) {
    throw new ConfigError(`cannot use the contract ${truthFile}: ${error instanceof Error ? error.message : String(error)} (run \`npx trt truth check\`)`);
  }
  return configFrom(truth, env, root, truthFile);
}

/** The pure part of {@link loadConfig}: a validated contract and an environment → configuration. */
export function configFrom(truth: Truth, env: Env, root: string, truthFile: string): BotConfig {
  const webhookSecretEnv = truth.security?.webhook_secret_env ?? 'WEBHOOK_SECRET';
  const adminSecretEnv = truth.security?.admin_secret_env ?? 'ADMIN_SECRET';
  const required = [...new Set(['TELEGRAM_BOT_TOKEN', webhookSecretEnv, adminSecretEnv, ...(truth.env?.required ?? [])])];
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new ConfigError(
      `missing required environment variable${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (env.required in ${truthFile}): set ${missing.length === 1 ? 'it' : 'them'} and start again`,
    );
  }
  const optional = (name: string): string | null => {
    const value = env[name] ?? stringDefault(truth.env?.optional?.[name]);
    return value ? value : null;
  };

  const port = Number(optional('PORT') ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a TCP port number (0–65535), got "${optional('PORT')}"`);
  }
  const secretValues = (truth.env?.secret ?? [])
    .map((name) => env[name])
    .filter((value): value is string => typeof value === 'string' && value.length >= 4);

  return {
    telegramToken: env.TELEGRAM_BOT_TOKEN!,
    webhookSecret: env[webhookSecretEnv]!,
    adminSecret: env[adminSecretEnv]!,
    databaseUrl: optional('DATABASE_URL'),
    pgDataDir: resolveFrom(root, optional('PG_DATA_DIR') ?? '.data/postgres'),
    host: optional('HOST') ?? '0.0.0.0',
    port,
    publicUrl: optional('PUBLIC_URL')?.replace(/\/+$/, '') ?? null,
    telegramApiRoot: (optional('TELEGRAM_API_ROOT') ?? 'https://api.telegram.org').replace(/\/+$/, ''),
    logLevel: optional('LOG_LEVEL') ?? 'info',
    version: packageVersion(),
    truthFile,
    ...databaseSettings(truth, root),
    queueCapacity: truth.queue?.capacity ?? BOT_DEFAULTS.queueCapacity,
    workers: truth.queue?.workers ?? BOT_DEFAULTS.workers,
    bodyLimitBytes: truth.security?.body_limit_bytes ?? BOT_DEFAULTS.bodyLimitBytes,
    kieApiRoot: (optional('KIE_API_ROOT') ?? 'https://api.kie.ai').replace(/\/+$/, ''),
    kieApiKey: optional('KIE_API_KEY'),
    modelsFile: resolveFrom(root, truth.generation?.models ?? 'product/models.yaml'),
    generationDeadlineS: truth.generation?.deadline_s ?? BOT_DEFAULTS.generationDeadlineS,
    secretValues,
  };
}

/**
 * What the bot does with its database, from truth.yaml with the bot's defaults where it is
 * silent: the bot runs by these, and `trt ops db` judges a database by the same values.
 */
export function databaseSettings(truth: Truth, root: string) {
  const migrationsFolder = truth.database?.migrations ?? 'bot/migrations';
  return {
    /** As the truth names it (`database.migrations`), for messages. */
    migrationsFolder,
    migrationsDir: resolveFrom(root, migrationsFolder),
    lockKey: truth.database?.lock_key ?? BOT_DEFAULTS.lockKey,
    heartbeatIntervalS: truth.database?.heartbeat_interval_s ?? BOT_DEFAULTS.heartbeatIntervalS,
    staleHeartbeatS: truth.database?.stale_heartbeat_s ?? BOT_DEFAULTS.staleHeartbeatS,
    staleIdleS: truth.database?.stale_idle_s ?? BOT_DEFAULTS.staleIdleS,
    generationPollIntervalS: truth.generation?.poll_interval_s ?? BOT_DEFAULTS.generationPollIntervalS,
  };
}

function stringDefault(value: string | number | boolean | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function resolveFrom(root: string, path: string): string {
  return isAbsolute(path) ? path : join(root, path);
}
