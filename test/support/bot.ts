/**
 * Running the real bot in tests: in this process through startBot (fast, direct assertions) or
 * as a child process of dist/bot/main.js (kill -9, SIGTERM, SIGSTOP — what only a process can
 * show). Both read a copy of product/truth.yaml with the test's tunables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { startBot, type RunningBot } from '../../bot/app.js';
import { configFrom, type BotConfig } from '../../bot/config.js';
import { createPool } from '../../bot/db/pool.js';
import { SECRET_HEADER } from '../../bot/http/auth.js';
import { loadTruth } from '../../cli/core/truth.js';
import { packageFile, packageRoot } from '../../cli/core/package-root.js';
import { freePort } from '../../cli/core/free-port.js';

/** A free TCP port from the OS (trt smoke's own, for S8). */
export { freePort };

export const TEST_TOKEN = '123456789:TEST-token-for-the-emulator';
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const TEST_ADMIN_SECRET = 'test-admin-secret-0123456789';

export interface TruthOverrides {
  database?: Record<string, number>;
  queue?: Record<string, number>;
  generation?: Record<string, number>;
}

/** A copy of product/truth.yaml with the given database/queue settings replaced. */
export function writeTestTruth(overrides: TruthOverrides = {}): string {
  const truth = parse(readFileSync(packageFile('product/truth.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  truth.database = { ...truth.database, ...overrides.database };
  truth.queue = { ...truth.queue, ...overrides.queue };
  truth.generation = { ...truth.generation, ...overrides.generation };
  const path = join(mkdtempSync(join(tmpdir(), 'trt-truth-')), 'truth.yaml');
  writeFileSync(path, stringify(truth));
  return path;
}

export interface BotEnv {
  databaseUrl: string;
  telegramApiRoot: string;
  truthFile: string;
  port?: number;
  publicUrl?: string;
  kieApiRoot?: string;
}

export const TEST_KIE_KEY = 'test-kie-api-key-0123456789';

export function botEnvironment(env: BotEnv): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: TEST_TOKEN,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ADMIN_SECRET: TEST_ADMIN_SECRET,
    DATABASE_URL: env.databaseUrl,
    TELEGRAM_API_ROOT: env.telegramApiRoot,
    TRUTH_FILE: env.truthFile,
    HOST: '127.0.0.1',
    PORT: String(env.port ?? 0),
    LOG_LEVEL: process.env.TRT_TEST_LOG_LEVEL ?? 'warn',
    ...(env.publicUrl ? { PUBLIC_URL: env.publicUrl } : {}),
    ...(env.kieApiRoot ? { KIE_API_ROOT: env.kieApiRoot, KIE_API_KEY: TEST_KIE_KEY } : {}),
  };
}

export function testConfig(env: BotEnv): BotConfig {
  return configFrom(loadTruth(env.truthFile).truth, botEnvironment(env), packageRoot(), env.truthFile);
}

/** The bot in this process; logs are silent unless TRT_TEST_LOG_LEVEL is set. */
export function startTestBot(env: BotEnv): Promise<RunningBot> {
  const log = pino({ level: process.env.TRT_TEST_LOG_LEVEL ?? 'silent' });
  return startBot(testConfig(env), log);
}

export interface BotProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote, for assertions and for failure messages. */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts dist/bot/main.js on a free port and waits until it answers /health. */
export async function spawnBot(env: BotEnv & { port: number }, timeoutMs = 60_000): Promise<BotProcess> {
  const child = spawn(process.execPath, [packageFile('dist/bot/main.js')], {
    env: { ...pathOnly(), ...botEnvironment(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${env.port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode} before answering /health:\n${output}`);
    if (await answers(`${url}/health`)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot did not answer ${url}/health within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(100);
  }
  return { child, url, output: () => output, exited };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** A child gets PATH and nothing else from the test's environment: no secret leaks in by accident. */
function pathOnly(): Record<string, string> {
  return process.env.PATH ? { PATH: process.env.PATH } : {};
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` returns a value other than undefined, or fails with `what` after the timeout. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** A message update as the smoke tests send them: update_id ≥ 10^12, a private chat, `content` (text, payment…). */
export function messageUpdate(updateId: number, chatId: number, content: Record<string, unknown>, firstName = 'Test'): Record<string, unknown> {
  return {
    update_id: updateId,
    message: {
      message_id: updateId % 1_000_000,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: firstName },
      from: { id: chatId, is_bot: false, first_name: firstName },
      ...content,
    },
  };
}

export function textUpdate(updateId: number, chatId: number, text: string, firstName = 'Test'): Record<string, unknown> {
  const command = text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] } : {};
  return messageUpdate(updateId, chatId, { text, ...command }, firstName);
}

/** A button press: a callback query on a message the bot sent to the chat. */
export function callbackUpdate(updateId: number, chatId: number, data: string, firstName = 'Test'): Record<string, unknown> {
  return {
    update_id: updateId,
    callback_query: {
      id: `cq-${updateId}`,
      from: { id: chatId, is_bot: false, first_name: firstName },
      chat_instance: `ci-${chatId}`,
      data,
      message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private', first_name: firstName }, text: 'menu' },
    },
  };
}

export async function postUpdate(url: string, update: unknown, secret: string | null = TEST_WEBHOOK_SECRET): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret === null ? {} : { [SECRET_HEADER]: secret }) },
    body: typeof update === 'string' ? update : JSON.stringify(update),
  });
  return { status: response.status, body: await response.text() };
}

export async function adminPost<T>(url: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_ADMIN_SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export async function adminGet<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_SECRET}` } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * A pool for a test's own queries. Through the bot's createPool: pg's pool.end() resolves before
 * its sockets close, so a server stopped right after would otherwise raise an unhandled error.
 */
export function testPool(databaseUrl: string): pg.Pool {
  return createPool(databaseUrl, 'trt-test', pino({ level: 'silent' }));
}
