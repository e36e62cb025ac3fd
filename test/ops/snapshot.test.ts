/**
 * `trt ops critical5` and `trt ops snapshot` through the built CLI, on a planted log file and a
 * real PostgreSQL with planted problems (a stale heartbeat, a pending migration), and the bot's
 * `GET /admin/ops/snapshot`. Needs `npm run build` (the pretest of `npm test`).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import Fastify from 'fastify';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { RunningBot } from '../../bot/app.js';
import { applyMigrations, readMigrations } from '../../bot/db/migrate.js';
import { registerOpsSnapshotRoute } from '../../bot/http/routes/ops-snapshot.js';
import type { Critical5, Snapshot } from '../../cli/ops/model.js';
import { TelegramEmulator } from '../../emulators/telegram/server.js';
import { FIXTURES, REPO, runTrt, type TrtRun } from '../cli/run.js';
import { startTestBot, TEST_ADMIN_SECRET, TEST_TOKEN, testConfig, testPool, writeTestTruth } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

const LOCK_KEY = 74110001;
const LOG_FILE = join(FIXTURES, 'ops', 'snapshot-bot.log');
const CLEAN_LOG_FILE = join(FIXTURES, 'ops', 'critical5-clean.log');
const WINDOW = ['--since', '2026-11-23T10:00:00.000Z', '--until', '2026-11-23T11:00:00.000Z'];

/** The secrets the fixture log plants, by value (set in the environment) and by shape. */
const SECRETS = {
  TELEGRAM_BOT_TOKEN: '5550001234:AAFsnapshotFixtureTokenValue0123456789',
  ADMIN_SECRET: 'snapshot-admin-secret-value-42',
  RENDER_API_KEY: 'rnd_snapshotRenderKeyValue0123',
};
const PLANTED = [...Object.values(SECRETS), 'fixture-db-pass-7781', 'snapshotBearerToken0123456789'];

const EXPECTED_TOP = [
  ['stale-heartbeat', 'P0', 33],
  ['takeover-loop', 'P1', 27],
  ['update-rejected', 'P1', 25],
  ['json-serialization', 'P0', 24],
  ['pending-migrations', 'P1', 24],
];

let postgres: TestPostgres;
let plantedUrl: string;
let holder: pg.Client;
let root: string;
let validate: ValidateFunction;

function snapshotValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'ops-snapshot.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat('date-time', (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)));
  return ajv.compile(schema);
}

/** The bot's schema as the bot applies it: its migrations, then graphile-worker's. */
async function migrate(url: string): Promise<void> {
  const pool = testPool(url);
  try {
    await applyMigrations(pool, join(REPO, 'bot', 'migrations'), { lockKey: LOCK_KEY, log: pino({ level: 'silent' }), whileLocked: () => runMigrations({ pgPool: pool }) });
  } finally {
    await pool.end();
  }
}

/**
 * A repository root for the CLI: a truth whose migrations folder is a copy of the bot's plus one
 * file the database has not applied.
 */
function plantedRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trt-ops-snapshot-'));
  cpSync(join(REPO, 'bot', 'migrations'), join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'migrations', '006_snapshot_pending.sql'), 'CREATE TABLE IF NOT EXISTS snapshot_pending (id integer PRIMARY KEY);\n');
  const truth = parse(readFileSync(join(REPO, 'product', 'truth.yaml'), 'utf8')) as { database: Record<string, unknown> };
  truth.database.migrations = 'migrations';
  mkdirSync(join(dir, 'product'));
  writeFileSync(join(dir, 'product', 'truth.yaml'), stringify(truth));
  return dir;
}

function ops(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<TrtRun> {
  return runTrt(['ops', ...args, '--root', root], { cwd: root, env: { ...SECRETS, DATABASE_URL: '', DATABASE_URL_READONLY: '', ...extraEnv } });
}

function artifactsText(): string {
  const dir = join(root, 'artifacts');
  return readdirSync(dir)
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('\n');
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) for (const secret of PLANTED) expect(text).not.toContain(secret);
}

function ranking(critical5: Critical5): (string | number)[][] {
  return critical5.top.map((issue) => [issue.id, issue.priority, issue.total]);
}

beforeAll(async () => {
  validate = snapshotValidator();
  postgres = await startTestPostgres();
  plantedUrl = await postgres.createDatabase('ops_planted');
  await migrate(plantedUrl);
  // A leader that took the lock and stopped beating ten minutes ago: the session lives on, idle.
  holder = new pg.Client({ connectionString: plantedUrl, application_name: 'trt-bot:planted-1:lock' });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1::int)', [LOCK_KEY]);
  await holder.query(
    `INSERT INTO bot_leader (lock_key, epoch, instance_id, holder_pid, acquired_at, heartbeat_at)
     VALUES ($1::int, 3, 'planted-1', pg_backend_pid(), now() - interval '20 minutes', now() - interval '10 minutes')`,
    [LOCK_KEY],
  );
  root = plantedRoot();
});

afterAll(async () => {
  await holder?.end();
  await postgres?.destroy();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('trt ops snapshot', () => {
  it('ranks the planted issues of the logs and the database, exits 1 and writes both artifacts without a secret', async () => {
    const result = await ops(['snapshot', '--source', 'file', '--file', LOG_FILE, ...WINDOW, '--url', plantedUrl, '--format', 'json']);
    expect(result.code, result.stderr).toBe(1);
    const snapshot = JSON.parse(result.stdout) as Snapshot;
    expect(validate(snapshot), JSON.stringify(validate.errors)).toBe(true);
    expect(ranking(snapshot.critical5)).toEqual(EXPECTED_TOP);
    expect(snapshot.critical5.found).toBeGreaterThanOrEqual(7);
    expect(snapshot.logs).toMatchObject({ source: 'file', lines: 11, window: { since: '2026-11-23T10:00:00.000Z', until: '2026-11-23T11:00:00.000Z' } });
    expect(snapshot.db?.checks.find((check) => check.id === 'advisory-lock')?.status).toBe('critical');
    expect(snapshot.db?.checks.find((check) => check.id === 'migration-drift')?.summary).toContain('006_snapshot_pending.sql');

    const written = readdirSync(join(root, 'artifacts')).filter((name) => name.startsWith('ops-snapshot-'));
    expect(written.map((name) => name.replace(/ops-snapshot-.*\./, 'ops-snapshot-<stamp>.')).sort()).toEqual(['ops-snapshot-<stamp>.json', 'ops-snapshot-<stamp>.md']);
    const artifact = JSON.parse(readFileSync(join(root, 'artifacts', written.find((name) => name.endsWith('.json'))!), 'utf8')) as Snapshot;
    expect(artifact).toEqual(snapshot);
    const markdown = readFileSync(join(root, 'artifacts', written.find((name) => name.endsWith('.md'))!), 'utf8');
    expect(markdown).toContain('## Critical 5');
    expect(markdown).toContain('stale-heartbeat');
    expectNoSecret(result.stdout, result.stderr, artifactsText());
  });

  it('prints the three parts as text', async () => {
    const result = await ops(['snapshot', '--source', 'file', '--file', LOG_FILE, ...WINDOW, '--url', plantedUrl, '--no-artifacts']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('LOGS');
    expect(result.stdout).toContain('11 lines from file');
    expect(result.stdout).toContain('DATABASE');
    expect(result.stdout).toContain('CRITICAL5');
    expectNoSecret(result.stdout, result.stderr);
  });
});

describe('trt ops critical5', () => {
  it('prints the ranked table, then axes, evidence and action per issue', async () => {
    const result = await ops(['critical5', '--source', 'file', '--file', LOG_FILE, ...WINDOW, '--url', plantedUrl]);
    expect(result.code, result.stderr).toBe(1);
    const rows = result.stdout.split('\n').filter((line) => /^\s*\d+\s+P[012]\s/.test(line));
    expect(rows.map((line) => line.trim().split(/\s+/).slice(0, 4))).toEqual(EXPECTED_TOP.map(([id, priority, total], index) => [String(index + 1), priority, id, String(total)]));
    expect(result.stdout).toContain('axes: revenue 2 · generation 7 · ux 5 · silent_failure 4 · ops_risk 9');
    expect(result.stdout).toContain('action: Check heartbeat writes and stale thresholds.');
    expect(result.stdout).toContain('[REDACTED]');
    expect(readdirSync(join(root, 'artifacts')).some((name) => name.startsWith('ops-critical5-') && name.endsWith('.json'))).toBe(true);
    expectNoSecret(result.stdout, result.stderr, artifactsText());
  });

  it('answers the same Critical5 document as json, valid against the schema', async () => {
    const result = await ops(['critical5', '--source', 'file', '--file', LOG_FILE, ...WINDOW, '--url', plantedUrl, '--format', 'json', '--no-artifacts']);
    expect(result.code, result.stderr).toBe(1);
    const critical5 = JSON.parse(result.stdout) as Critical5;
    expect(validate(critical5), JSON.stringify(validate.errors)).toBe(true);
    expect(ranking(critical5)).toEqual(EXPECTED_TOP);
  });

  it('says so on a clean state and exits 0', async () => {
    const result = await ops(['critical5', '--source', 'file', '--file', CLEAN_LOG_FILE, ...WINDOW, '--no-db', '--no-artifacts']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('no problems found in 1h of logs');
    const json = await ops(['critical5', '--source', 'file', '--file', CLEAN_LOG_FILE, ...WINDOW, '--no-db', '--format', 'json', '--no-artifacts']);
    expect((JSON.parse(json.stdout) as Critical5).top).toEqual([]);
  });

  it('reports on the database alone when the logs cannot be read, and says why', async () => {
    const result = await ops(['critical5', '--source', 'file', '--file', join(root, 'no-such.log'), ...WINDOW, '--url', plantedUrl, '--no-artifacts']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('logs not read:');
    expect(result.stdout).toMatch(/^\s*1\s+P0\s+stale-heartbeat/m);
    const json = await ops(['critical5', '--source', 'file', '--file', join(root, 'no-such.log'), ...WINDOW, '--url', plantedUrl, '--no-artifacts', '--format', 'json']);
    expect((JSON.parse(json.stdout) as { unavailable?: { logs?: string } }).unavailable?.logs).toContain('no-such.log');
  });

  it('exits 2 on a wrong flag, even when the database could be read', async () => {
    const result = await ops(['critical5', '--file', LOG_FILE, '--since', 'yesterday-ish', '--url', plantedUrl, '--no-artifacts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--since "yesterday-ish"');
    expect(result.stdout).toBe('');
  });

  it('exits 2 when neither source can be read', async () => {
    const skipped = await ops(['critical5', '--no-logs', '--no-db']);
    expect(skipped.code).toBe(2);
    expect(skipped.stderr).toContain('neither the logs nor the database could be read');
    const broken = await ops(['critical5', '--source', 'file', '--file', join(root, 'no-such.log'), ...WINDOW, '--url', 'postgres://nobody:wrong-password-1234@127.0.0.1:1/none']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('logs:');
    expect(broken.stderr).toContain('database:');
    expect(broken.stderr).not.toContain('wrong-password-1234');
  });
});

describe('GET /admin/ops/snapshot', () => {
  let emulator: TelegramEmulator;
  let bot: RunningBot;
  let databaseUrl: string;

  beforeAll(async () => {
    emulator = await TelegramEmulator.start({ token: TEST_TOKEN });
    databaseUrl = await postgres.createDatabase('ops_bot');
    bot = await startTestBot({ databaseUrl, telegramApiRoot: emulator.apiRoot, truthFile: writeTestTruth() });
  });

  afterAll(async () => {
    await bot?.stop('test over');
    await emulator?.stop();
  });

  it('needs the admin secret', async () => {
    expect((await fetch(`${bot.url}/admin/ops/snapshot`)).status).toBe(401);
    expect((await fetch(`${bot.url}/admin/ops/snapshot`, { headers: { authorization: 'Bearer not-the-secret' } })).status).toBe(401);
  });

  it("answers the snapshot of the bot's own database, valid against the schema", async () => {
    const response = await fetch(`${bot.url}/admin/ops/snapshot`, { headers: { authorization: `Bearer ${TEST_ADMIN_SECRET}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Snapshot;
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(body.logs).toBeNull();
    expect(body.critical5.window).toBeNull();
    expect(body.unavailable).toEqual({ logs: expect.stringContaining('trt ops snapshot') });
    expect(body.db?.checks.find((check) => check.id === 'advisory-lock')?.status).toBe('ok');
    expect(body.db?.checks.find((check) => check.id === 'migration-drift')?.status).toBe('ok');
    expect(JSON.stringify(body)).not.toContain(TEST_ADMIN_SECRET);
  });

  it('compares the database with the migration files the bot started with, not the folder as it is now', async () => {
    const config = testConfig({ databaseUrl, telegramApiRoot: emulator.apiRoot, truthFile: writeTestTruth() });
    const shipped = readMigrations(config.migrationsDir);
    const app = Fastify();
    registerOpsSnapshotRoute(app, { config, log: pino({ level: 'silent' }), databaseUrl, migrationFiles: [...shipped, { name: '999_shipped_later.sql', checksum: 'c0ffee', sql: 'SELECT 1;' }] });
    try {
      const body = (await app.inject({ method: 'GET', url: '/admin/ops/snapshot' })).json<Snapshot>();
      const drift = body.db?.checks.find((check) => check.id === 'migration-drift');
      expect(drift?.status).toBe('critical');
      expect(drift?.summary).toContain('999_shipped_later.sql');
    } finally {
      await app.close();
    }
  });
});

describe('the snapshot route under a database that does not answer', () => {
  let blackHole: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts connections and never says a word: the checks hang until the deadline.
    blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  });

  it('answers 503 with what happened once the deadline passes', async () => {
    const address = blackHole.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const app = Fastify();
    const config = testConfig({ databaseUrl: plantedUrl, telegramApiRoot: 'http://127.0.0.1:9', truthFile: writeTestTruth() });
    registerOpsSnapshotRoute(app, { config, log: pino({ level: 'silent' }), databaseUrl: `postgres://bot:black-hole-pass@127.0.0.1:${port}/bot`, deadlineMs: 300, migrationFiles: [] });
    try {
      const response = await app.inject({ method: 'GET', url: '/admin/ops/snapshot' });
      expect(response.statusCode).toBe(503);
      expect(response.json<{ error: string }>().error).toContain('did not finish within 0.3 s');
    } finally {
      await app.close();
    }
  });
});
