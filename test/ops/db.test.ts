import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../bot/db/migrate.js';
import type { Truth } from '../../cli/core/truth.js';
import type { DbCheck, DbReport } from '../../cli/ops/model.js';
import { advisoryLockVerdict, type LockObservation } from '../../cli/ops/db/checks/advisory-lock.js';
import { cacheHitVerdict, MIN_BLOCKS } from '../../cli/ops/db/checks/cache-hit.js';
import { connectionsVerdict } from '../../cli/ops/db/checks/connections.js';
import { findDuplicateIndexes, type IndexDefinition } from '../../cli/ops/db/checks/duplicate-indexes.js';
import { errorEventsVerdict } from '../../cli/ops/db/checks/error-events.js';
import { lockWaitsVerdict } from '../../cli/ops/db/checks/lock-waits.js';
import { compareMigrations, migrationDriftVerdict } from '../../cli/ops/db/checks/migration-drift.js';
import { MIN_TABLE_SCANS } from '../../cli/ops/db/checks/unused-indexes.js';
import { queryReadOnly } from '../../cli/ops/db/read-only.js';
import { checkDatabase, databaseRedactor } from '../../cli/ops/db/run-checks.js';
import { escalate } from '../../cli/ops/db/verdict.js';
import { runTrt } from '../cli/run.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const REPO_MIGRATIONS = join(REPO, 'bot', 'migrations');
const REPO_FILES = readdirSync(REPO_MIGRATIONS).filter((name) => name.endsWith('.sql')).sort();
const LOCK_KEY = 74110001;
const ADMIN_SECRET = 'planted-admin-secret-7f3a9c';
const QUERY_PASSWORD = 'hunter2-in-query-text';
const silent = pino({ level: 'silent' });

/** The kinds of problem the planted test plants; a healthy database reports none of them. */
const PLANTED_KINDS = ['long-running-queries', 'idle-in-transaction', 'lock-waits', 'advisory-lock', 'migration-drift', 'unused-indexes', 'stuck-generations', 'inbox-backlog', 'error-events', 'duplicate-indexes'];

let postgres: TestPostgres;
let databases = 0;
const clients: pg.Client[] = [];
const folders: string[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

afterAll(async () => {
  await postgres?.destroy();
});

/** A fresh database with the bot's migrations applied, as the bot applies them at start. */
async function migratedDatabase(): Promise<string> {
  const url = await postgres.createDatabase(`ops_db_${++databases}`);
  const pool = new pg.Pool({ connectionString: url });
  try {
    await applyMigrations(pool, REPO_MIGRATIONS, { lockKey: LOCK_KEY, log: silent });
  } finally {
    await pool.end();
  }
  return url;
}

async function connect(url: string, applicationName = 'trt-ops-db-test'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

/** What the bot's LeaderLock does on acquisition: the session lock, then its bot_leader row. */
async function holdLeaderLock(url: string, heartbeatAgo: string): Promise<{ client: pg.Client; pid: number }> {
  const client = await connect(url, 'trt-bot:test-1:lock');
  await client.query('SELECT pg_advisory_lock($1::int)', [LOCK_KEY]);
  const { rows } = await client.query<{ pid: number }>(
    `INSERT INTO bot_leader (lock_key, epoch, instance_id, holder_pid, heartbeat_at)
     VALUES ($1::int, 1, 'test-1', pg_backend_pid(), now() - $2::interval) RETURNING holder_pid AS pid`,
    [LOCK_KEY, heartbeatAgo],
  );
  return { client, pid: rows[0]!.pid };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trt-ops-db-'));
  folders.push(dir);
  return dir;
}

/**
 * A repository root for a run: its truth (thresholds low enough that nothing has to wait a
 * minute) and a copy of the bot's migrations, plus `extraMigrations`.
 */
function repositoryRoot(options: { extraMigrations?: Record<string, string>; editMigration?: string; db?: NonNullable<Truth['observability']>['db'] } = {}): { root: string; truth: Truth; truthFile: string } {
  const root = tempDir();
  const migrations = join(root, 'db', 'migrations');
  mkdirSync(migrations, { recursive: true });
  cpSync(REPO_MIGRATIONS, migrations, { recursive: true });
  for (const [name, sql] of Object.entries(options.extraMigrations ?? {})) writeFileSync(join(migrations, name), sql);
  if (options.editMigration) appendFileSync(join(migrations, options.editMigration), '\n-- edited after it was applied\n');
  const truth: Truth = {
    version: 1,
    env: { secret: ['ADMIN_SECRET', 'DATABASE_URL', 'DATABASE_URL_READONLY'] },
    database: { migrations: 'db/migrations', lock_key: LOCK_KEY, heartbeat_interval_s: 15, stale_heartbeat_s: 60, stale_idle_s: 120 },
    observability: { db: { long_running_s: 1, idle_in_transaction_s: 1, lock_wait_s: 0.5, ...options.db } },
  };
  mkdirSync(join(root, 'product'));
  const truthFile = join(root, 'product', 'truth.yaml');
  // JSON is YAML.
  writeFileSync(truthFile, JSON.stringify(truth, null, 2));
  return { root, truth, truthFile };
}

/** Polls until `probe` returns a value; fails with `what` after a generous deadline. */
async function until<T>(what: string, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until pid's session matches `condition` (SQL over pg_stat_activity `a` and pg_locks `l`). */
async function untilSession(admin: pg.Client, what: string, pid: number, condition: string): Promise<void> {
  await until(what, async () => {
    const { rows } = await admin.query<{ ok: boolean }>(
      `SELECT true AS ok FROM pg_stat_activity AS a LEFT JOIN pg_locks AS l ON l.pid = a.pid AND NOT l.granted WHERE a.pid = $1::int AND ${condition}`,
      [pid],
    );
    return rows[0]?.ok ? true : null;
  });
}

async function pidOf(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

function check(report: DbReport, id: string): DbCheck {
  const found = report.checks.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no check ${id} in the report (${report.checks.map((c) => c.id).join(', ')})`);
  return found;
}

function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

/** Everything a CLI run left for a person to read: stdout, stderr and the artifacts. */
function everythingWritten(run: { stdout: string; stderr: string }, artifacts: string): string {
  const files = readdirSync(artifacts).map((name) => readFileSync(join(artifacts, name), 'utf8'));
  return [run.stdout, run.stderr, ...files].join('\n');
}

describe('trt ops db: verdicts', () => {
  it.each([
    [null, 5, 'ok'],
    [5, 5, 'ok'],
    [5.1, 5, 'warn'],
    [50, 5, 'warn'],
    [50.1, 5, 'critical'],
    [3, 0, 'warn'],
    [11, 0, 'critical'],
    [0.9, 0.5, 'warn'],
  ] as const)('escalate(%s, threshold %s) is %s', (value, threshold, status) => {
    expect(escalate(value, threshold)).toBe(status);
  });

  it.each([
    [50, 'ok'],
    [81, 'warn'],
    [97, 'critical'],
  ] as const)('connections: %s of 100 (3 reserved, warn over 80 %%) is %s', (total, status) => {
    expect(connectionsVerdict({ max_connections: 100, reserved: 3, total, active: 1, idle: total - 1, idle_in_transaction: 0 }, 80).status).toBe(status);
  });

  it('lock waits name the longest wait and its blocker', () => {
    const verdict = lockWaitsVerdict([{ pid: 7, waiting_s: 12, blocked_by: [3], total: 2 }], 5);
    expect(verdict.status).toBe('warn');
    expect(verdict.summary).toBe('2 sessions waiting on a lock longer than 5 s; the longest 12 s (pid 7, blocked by pid 3)');
    expect(lockWaitsVerdict([], 5).status).toBe('ok');
  });

  const limits = { lockKey: LOCK_KEY, heartbeatIntervalS: 15, staleHeartbeatS: 60, staleIdleS: 120 };
  const row = (holderPid: number, heartbeatAgeS: number | null) => ({ epoch: 3, instanceId: 'web-1', holderPid, heartbeatAgeS });
  it.each<[string, LockObservation, string]>([
    ['nobody ever took it', { holderPid: null, applicationName: null, idleS: null, row: null }, 'ok'],
    ['a fresh heartbeat', { holderPid: 10, applicationName: 'trt-bot:web-1:lock', idleS: 2, row: row(10, 4) }, 'ok'],
    ['a late heartbeat', { holderPid: 10, applicationName: 'trt-bot:web-1:lock', idleS: 2, row: row(10, 45) }, 'warn'],
    ['a stale heartbeat', { holderPid: 10, applicationName: 'trt-bot:web-1:lock', idleS: 2, row: row(10, 61) }, 'critical'],
    ['a row but no holder', { holderPid: null, applicationName: null, idleS: null, row: row(10, null) }, 'critical'],
    ['a holder with no row', { holderPid: 10, applicationName: 'psql', idleS: 1, row: null }, 'warn'],
    ['a new holder not yet recorded', { holderPid: 11, applicationName: 'trt-bot:web-2:lock', idleS: 1, row: row(10, 5) }, 'warn'],
    ['a new holder idle past stale_idle_s', { holderPid: 11, applicationName: 'trt-bot:web-2:lock', idleS: 121, row: row(10, 5) }, 'critical'],
  ])('advisory lock: %s is %s', (_, observation, status) => {
    expect(advisoryLockVerdict(observation, limits).status).toBe(status);
  });

  it('migration drift names pending, changed and missing files', () => {
    const drift = compareMigrations(
      [
        { name: '001_a.sql', checksum: 'aaa' },
        { name: '002_b.sql', checksum: 'bbb-edited' },
        { name: '004_d.sql', checksum: 'ddd' },
      ],
      [
        { name: '001_a.sql', checksum: 'aaa', appliedAt: null },
        { name: '002_b.sql', checksum: 'bbb', appliedAt: null },
        { name: '003_c.sql', checksum: 'ccc', appliedAt: null },
      ],
    );
    expect(drift.applied).toBe(3);
    expect(drift.pending).toEqual(['004_d.sql']);
    expect(drift.changed.map((file) => file.name)).toEqual(['002_b.sql']);
    expect(drift.missing.map((file) => file.name)).toEqual(['003_c.sql']);
    expect(migrationDriftVerdict(drift, 'm').status).toBe('critical');
    expect(migrationDriftVerdict({ applied: 3, pending: [], changed: [], missing: [{ name: '003_c.sql', appliedAt: null }] }, 'm').status).toBe('warn');
    expect(migrationDriftVerdict({ applied: 3, pending: [], changed: [], missing: [] }, 'm').status).toBe('ok');
  });

  const index = (name: string, keyColumns: string[], extra: Partial<IndexDefinition> = {}): IndexDefinition => ({
    schema: 'public',
    table: 't',
    index: name,
    method: 'btree',
    unique: false,
    primary: false,
    valid: true,
    predicate: null,
    keyColumns,
    includeColumns: [],
    sizeBytes: 8192,
    ...extra,
  });
  it.each<[string, IndexDefinition[], string[]]>([
    ['a prefix of another index', [index('t_a', ['a']), index('t_a_b', ['a', 'b'])], ['t_a']],
    ['not a prefix', [index('t_b', ['b']), index('t_a_b', ['a', 'b'])], []],
    ['a different predicate', [index('t_a', ['a'], { predicate: '(done IS NULL)' }), index('t_a_b', ['a', 'b'])], []],
    ['two identical indexes: the later name', [index('t_a_2', ['a']), index('t_a_1', ['a'])], ['t_a_2']],
    ['a plain copy of the primary key', [index('t_pkey', ['a'], { unique: true, primary: true }), index('t_a', ['a'])], ['t_a']],
    ['a unique index is not replaced by a wider one', [index('t_a_key', ['a'], { unique: true }), index('t_a_b', ['a', 'b'])], []],
    ['included columns the other lacks', [index('t_a_inc', ['a'], { includeColumns: ['c'] }), index('t_a_b', ['a', 'b'])], []],
    ['another table', [index('t_a', ['a']), index('u_a_b', ['a', 'b'], { table: 'u' })], []],
    ['a hash index', [index('t_a', ['a'], { method: 'hash' }), index('t_a_b', ['a', 'b'])], []],
  ])('duplicate indexes: %s', (_, indexes, expected) => {
    expect(findDuplicateIndexes(indexes).map((duplicate) => duplicate.index.index)).toEqual(expected);
  });

  it('cache hit is not judged on too little traffic, and warns below the minimum', () => {
    expect(cacheHitVerdict({ hit: 10, read: 90 }, { hit: 5, read: 5 }, 99).status).toBe('ok');
    expect(cacheHitVerdict({ hit: 10, read: 90 }, { hit: 5, read: 5 }, 99).summary).toMatch(/too little traffic/);
    expect(cacheHitVerdict({ hit: MIN_BLOCKS * 0.9, read: MIN_BLOCKS * 0.1 }, { hit: 0, read: 0 }, 99).status).toBe('warn');
    expect(cacheHitVerdict({ hit: MIN_BLOCKS, read: 1 }, { hit: MIN_BLOCKS, read: 0 }, 99).status).toBe('ok');
  });

  it('error events: a burst is an hour over the maximum', () => {
    const hours = [
      { hour: '2026-01-01T10:00:00.000Z', errors: 3, topEvent: 'DISPATCH_FAIL' },
      { hour: '2026-01-01T11:00:00.000Z', errors: 25, topEvent: 'KIE_ERROR' },
    ];
    const burst = errorEventsVerdict(hours, 20);
    expect(burst.status).toBe('critical');
    expect(burst.worst?.hour).toBe('2026-01-01T11:00:00.000Z');
    expect(burst.total).toBe(28);
    expect(errorEventsVerdict(hours, 25).status).toBe('ok');
    expect(errorEventsVerdict([], 0).status).toBe('ok');
  });

  it('redacts the URL password, secret values and password literals in query texts', () => {
    const url = 'postgres://ops:s3cr%40t-pass@db.example:5432/bot';
    const redact = databaseRedactor(url, { version: 1, env: { secret: ['ADMIN_SECRET'] } }, { ADMIN_SECRET });
    const text = redact(
      `${url} s3cr@t-pass ${ADMIN_SECRET} ALTER ROLE bot PASSWORD 'hunter22' dblink('host=x password=hunter33 user=y') postgres://u:hunter44@h/d`,
    );
    for (const secret of ['s3cr@t-pass', 's3cr%40t-pass', ADMIN_SECRET, 'hunter22', 'hunter33', 'hunter44']) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
  });
});

describe('trt ops db against PostgreSQL', () => {
  it('reports none of the planted kinds on a healthy database, in process and through the CLI', async () => {
    const url = await migratedDatabase();
    await holdLeaderLock(url, '0 seconds');
    const { root, truth, truthFile } = repositoryRoot();

    const report = await checkDatabase({ url, truth, root });

    expect(report.target).toMatch(/^(127\.0\.0\.1|localhost):\d+\/ops_db_\d+$/);
    expect(report.serverVersion).toMatch(/^\d+/);
    expect(report.statsResetAt).not.toBeNull();
    for (const id of PLANTED_KINDS) expect({ id, status: check(report, id).status }).toEqual({ id, status: 'ok' });
    // What a fresh database can say: nothing is wrong, and too little has happened to judge the cache.
    expect(report.checks.filter((c) => c.status === 'warn' || c.status === 'critical')).toEqual([]);
    expect(check(report, 'cache-hit').summary).toMatch(/too little traffic/);
    expect(check(report, 'advisory-lock').numbers).toMatchObject({ holder_instance: 'test-1', epoch: 1, stale_heartbeat_s: 60 });
    expect(check(report, 'migration-drift').numbers).toMatchObject({ applied: REPO_FILES.length, pending: 0, changed: 0 });
    // The embedded server does not preload it: the check says so and how to enable it.
    const slow = check(report, 'slow-statements');
    expect(slow.status).toBe('unavailable');
    expect(slow.summary).toMatch(/pg_stat_statements is not installed.*shared_preload_libraries.*CREATE EXTENSION pg_stat_statements/);
    expect(JSON.stringify(report)).not.toContain(passwordOf(url));

    const artifacts = join(root, 'artifacts');
    const run = await runTrt(['ops', 'db', '--url', url, '--root', root, '--truth', truthFile, '--format', 'json', '--artifacts', artifacts]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as DbReport;
    expect(printed.checks.map((c) => c.id)).toEqual(report.checks.map((c) => c.id));
    expect(printed.checks.filter((c) => c.status === 'critical')).toEqual([]);
    expect(readdirSync(artifacts).sort()).toEqual([expect.stringMatching(/^ops-db-.*\.json$/), expect.stringMatching(/^ops-db-.*\.md$/)]);
    expect(everythingWritten(run, artifacts)).not.toContain(passwordOf(url));
  });

  it('reports each planted problem with its numbers, and the CLI exits 1 without leaking a secret', async () => {
    const url = await migratedDatabase();
    const admin = await connect(url);
    const { root, truth, truthFile } = repositoryRoot({
      extraMigrations: { [`${String(REPO_FILES.length + 1).padStart(3, '0')}_x.sql`]: 'CREATE TABLE IF NOT EXISTS planted_x (id int);\n' },
      editMigration: REPO_FILES[REPO_FILES.length - 1]!,
      db: { inbox_backlog_max: 2, error_events_per_hour_max: 2 },
    });

    // A stale heartbeat: the holder is there, its heartbeat an hour old.
    const leader = await holdLeaderLock(url, '1 hour');

    // An unused index on a table read often enough for that to mean something, and an index the
    // table already has in a longer one.
    await admin.query('CREATE TABLE planted_notes (id int PRIMARY KEY, note text)');
    await admin.query("INSERT INTO planted_notes SELECT g, 'note ' || g FROM generate_series(1, 200) AS g");
    await admin.query('CREATE INDEX planted_notes_note_idx ON planted_notes (note)');
    await admin.query('CREATE INDEX app_events_cid_ts_idx ON app_events (cid, ts)');
    const reader = await connect(url);
    for (let id = 1; id <= MIN_TABLE_SCANS + 20; id++) await reader.query('SELECT id FROM planted_notes WHERE id = $1::int', [id]);
    // A backend sends its statistics when it ends.
    await reader.end();
    await until('the scans of planted_notes in the statistics', async () => {
      const { rows } = await admin.query<{ scans: number }>("SELECT (seq_scan + coalesce(idx_scan, 0))::int AS scans FROM pg_stat_user_tables WHERE relname = 'planted_notes'");
      return (rows[0]?.scans ?? 0) >= MIN_TABLE_SCANS ? true : null;
    });

    // The bot's own state: a generation past its deadline, a backlog, a burst of errors.
    await admin.query(
      `INSERT INTO generations (chat_id, cid, request_ref, model_id, kie_model, prompt, price, state, task_id, deadline_at)
       VALUES (42, 'cid-stuck', 'ref-stuck', 'test/fast-image', 'kie-model', 'a cat', 5, 'submitted', 'task-1', now() - interval '1 hour')`,
    );
    await admin.query(
      `INSERT INTO inbox (update_id, chat_id, cid, payload, received_at)
       SELECT g, 42, 'cid-' || g, '{}'::jsonb, now() - make_interval(mins => g) FROM generate_series(1, 5) AS g`,
    );
    await admin.query(`INSERT INTO app_events (event, level, cid) SELECT 'DISPATCH_FAIL', 'error', 'cid-' || g FROM generate_series(1, 3) AS g`);

    // A long-running query whose text holds secrets.
    const sleeper = await connect(url, 'planted-sleeper');
    const sleeperPid = await pidOf(sleeper);
    const sleeping = sleeper.query(`SELECT pg_sleep(120), 'postgres://planted:${QUERY_PASSWORD}@db.example/x' AS url, '${ADMIN_SECRET}' AS admin`).catch(() => undefined);

    // An idle-in-transaction session that also holds a row lock, and a session waiting on it.
    const holder = await connect(url, 'planted-holder');
    const holderPid = await pidOf(holder);
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM planted_notes WHERE id = 1 FOR UPDATE');
    const waiter = await connect(url, 'planted-waiter');
    const waiterPid = await pidOf(waiter);
    const waiting = waiter.query("UPDATE planted_notes SET note = 'changed' WHERE id = 1").catch(() => undefined);

    await untilSession(admin, 'the sleeper to run past long_running_s', sleeperPid, "a.state = 'active' AND now() - a.query_start > interval '1.5 seconds'");
    await untilSession(admin, 'the holder to idle past idle_in_transaction_s', holderPid, "a.state = 'idle in transaction' AND now() - a.state_change > interval '1.5 seconds'");
    await untilSession(admin, 'the waiter to wait past lock_wait_s', waiterPid, "l.waitstart IS NOT NULL AND now() - l.waitstart > interval '1 second'");

    const previousAdminSecret = process.env.ADMIN_SECRET;
    process.env.ADMIN_SECRET = ADMIN_SECRET;
    let report: DbReport;
    try {
      report = await checkDatabase({ url, truth, root });
    } finally {
      if (previousAdminSecret === undefined) delete process.env.ADMIN_SECRET;
      else process.env.ADMIN_SECRET = previousAdminSecret;
    }

    const longRunning = check(report, 'long-running-queries');
    expect(longRunning.status).not.toBe('ok');
    expect(longRunning.numbers.count).toBeGreaterThanOrEqual(1);
    expect(longRunning.numbers.longest_s).toBeGreaterThan(1);
    expect(longRunning.numbers.long_running_s).toBe(1);
    const sleeperRow = longRunning.rows?.find((row) => row.pid === sleeperPid);
    expect(sleeperRow).toMatchObject({ application_name: 'planted-sleeper', state: 'active' });
    expect(sleeperRow?.query).toContain('[REDACTED]');

    const idle = check(report, 'idle-in-transaction');
    expect(idle.status).not.toBe('ok');
    expect(idle.numbers).toMatchObject({ count: 1, idle_in_transaction_s: 1 });
    expect(idle.numbers.longest_s).toBeGreaterThan(1);
    expect(idle.rows?.[0]).toMatchObject({ pid: holderPid, application_name: 'planted-holder' });

    const lockWaits = check(report, 'lock-waits');
    expect(lockWaits.status).not.toBe('ok');
    expect(lockWaits.numbers).toMatchObject({ count: 1, blocker_pid: holderPid, lock_wait_s: 0.5 });
    expect(lockWaits.numbers.longest_s).toBeGreaterThan(0.5);
    expect(lockWaits.rows?.[0]).toMatchObject({ pid: waiterPid, blocked_by: [holderPid], blocker_application_name: 'planted-holder' });

    const lock = check(report, 'advisory-lock');
    expect(lock.status).toBe('critical');
    expect(lock.numbers).toMatchObject({ holder_pid: leader.pid, holder_instance: 'test-1', epoch: 1, stale_heartbeat_s: 60 });
    expect(lock.numbers.heartbeat_age_s).toBeGreaterThanOrEqual(3600);
    expect(lock.summary).toMatch(/stale heartbeat/);

    const drift = check(report, 'migration-drift');
    expect(drift.status).toBe('critical');
    expect(drift.numbers).toMatchObject({ applied: REPO_FILES.length, pending: 1, changed: 1 });
    expect(drift.rows).toEqual([
      expect.objectContaining({ file: `${String(REPO_FILES.length + 1).padStart(3, '0')}_x.sql`, state: 'pending' }),
      expect.objectContaining({ file: REPO_FILES[REPO_FILES.length - 1], state: 'changed' }),
    ]);

    const unused = check(report, 'unused-indexes');
    expect(unused.status).toBe('warn');
    expect(unused.rows?.map((row) => row.index)).toContain('planted_notes_note_idx');
    expect(unused.numbers.stats_reset_at).toBe(report.statsResetAt);
    expect(unused.summary).toContain(`since ${report.statsResetAt}`);

    const duplicates = check(report, 'duplicate-indexes');
    expect(duplicates.status).toBe('warn');
    expect(duplicates.rows).toEqual([expect.objectContaining({ index: 'app_events_cid_idx', covered_by: 'app_events_cid_ts_idx' })]);

    const stuck = check(report, 'stuck-generations');
    expect(stuck.status).toBe('critical');
    expect(stuck.numbers.count).toBe(1);
    expect(stuck.numbers.oldest_overdue_s).toBeGreaterThanOrEqual(3600);
    expect(stuck.rows?.[0]).toMatchObject({ cid: 'cid-stuck', state: 'submitted', task_id: 'task-1' });

    const inbox = check(report, 'inbox-backlog');
    expect(inbox.status).toBe('warn');
    expect(inbox.numbers).toMatchObject({ depth: 5, inbox_backlog_max: 2 });
    expect(inbox.numbers.oldest_s).toBeGreaterThanOrEqual(300);
    expect(inbox.rows).toHaveLength(5);

    const errors = check(report, 'error-events');
    expect(errors.status).toBe('critical');
    expect(errors.numbers).toMatchObject({ max_per_hour: 3, total: 3, error_events_per_hour_max: 2 });
    expect(errors.numbers.worst_hour).toMatch(/T\d\d:00:00\.000Z$/);

    const everything = JSON.stringify(report);
    for (const secret of [passwordOf(url), QUERY_PASSWORD, ADMIN_SECRET]) expect(everything).not.toContain(secret);

    const artifacts = join(root, 'artifacts');
    for (const format of ['json', 'text', 'markdown']) {
      const run = await runTrt(['ops', 'db', '--url', url, '--root', root, '--truth', truthFile, '--format', format, '--artifacts', artifacts], { env: { ADMIN_SECRET } });
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.code).toBe(1);
      if (format === 'json') {
        const printed = JSON.parse(run.stdout) as DbReport;
        expect(printed.checks.filter((c) => c.status === 'critical').map((c) => c.id)).toEqual(expect.arrayContaining(['advisory-lock', 'migration-drift', 'stuck-generations', 'error-events']));
      } else {
        expect(run.stdout).toMatch(/advisory-lock[\s|]+critical/);
      }
      for (const secret of [passwordOf(url), QUERY_PASSWORD, ADMIN_SECRET]) expect(everythingWritten(run, artifacts)).not.toContain(secret);
    }

    await admin.query('SELECT pg_cancel_backend($1::int)', [sleeperPid]);
    await holder.query('ROLLBACK');
    await Promise.all([sleeping, waiting]);
  });

  it('runs nothing but reads, even with a superuser URL: PostgreSQL refuses every write', async () => {
    const url = await migratedDatabase();
    const admin = await connect(url);
    await admin.query("INSERT INTO bot_leader (lock_key, epoch, instance_id, holder_pid, heartbeat_at) VALUES (1, 7, 'web-1', 1, now())");
    const client = await connect(url);
    expect((await client.query<{ super: string }>("SELECT current_setting('is_superuser') AS super")).rows[0]!.super).toBe('on');

    const refused: [string, RegExp][] = [
      ["INSERT INTO chat_state (chat_id) VALUES (1)", /cannot execute INSERT in a read-only transaction/],
      ['UPDATE bot_leader SET epoch = 99', /cannot execute UPDATE in a read-only transaction/],
      ['DELETE FROM bot_leader', /cannot execute DELETE in a read-only transaction/],
      ['CREATE TABLE planted_write (id int)', /cannot execute CREATE TABLE in a read-only transaction/],
      ["SELECT nextval('app_events_id_seq')", /cannot execute nextval\(\) in a read-only transaction/],
      // PostgreSQL names the outer statement.
      ['WITH gone AS (DELETE FROM bot_leader RETURNING 1) SELECT count(*) FROM gone', /cannot execute SELECT in a read-only transaction/],
      // The transaction cannot be ended from inside: one statement only.
      ['SELECT 1; COMMIT; UPDATE bot_leader SET epoch = 99', /cannot insert multiple commands into a prepared statement/],
    ];
    for (const [sql, message] of refused) await expect(queryReadOnly(client, sql), sql).rejects.toThrow(message);

    const { rows } = await admin.query<{ epoch: string; chats: number; planted: string | null }>(
      "SELECT (SELECT epoch::text FROM bot_leader WHERE lock_key = 1) AS epoch, (SELECT count(*)::int FROM chat_state) AS chats, to_regclass('planted_write')::text AS planted",
    );
    expect(rows[0]).toEqual({ epoch: '7', chats: 0, planted: null });
    // Every statement ended its transaction, and nothing it set outlives it on the session.
    const after = await client.query<{ read_only: string; timeout: string; status: string }>(
      "SELECT current_setting('transaction_read_only') AS read_only, current_setting('statement_timeout') AS timeout, (SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS status",
    );
    expect(after.rows[0]).toEqual({ read_only: 'off', timeout: '0', status: 'active' });
    await expect(queryReadOnly<{ one: number }>(client, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('reports a check it cannot run as unavailable and goes on: a database that is not the bot\'s', async () => {
    const url = await postgres.createDatabase(`ops_db_${++databases}`);
    // Installed but not preloaded: the view exists and refuses to be read.
    const admin = await connect(url);
    await admin.query('CREATE EXTENSION pg_stat_statements');
    const { root, truth } = repositoryRoot();
    const report = await checkDatabase({ url, truth, root });
    const slow = check(report, 'slow-statements');
    expect(slow.status).toBe('unavailable');
    expect(slow.summary).toMatch(/shared_preload_libraries.*restart PostgreSQL/);
    for (const id of ['advisory-lock', 'migration-drift', 'stuck-generations', 'inbox-backlog', 'error-events']) {
      expect({ id, status: check(report, id).status }).toEqual({ id, status: 'unavailable' });
      expect(check(report, id).summary).toMatch(/does not exist.*is it the bot's database/);
    }
    expect(check(report, 'connections').status).toBe('ok');
    expect(check(report, 'table-sizes').status).toBe('ok');
  });

  it('exits 2 naming the variables when there is no database URL, and when the database cannot be reached', async () => {
    const { root, truthFile } = repositoryRoot();
    const none = await runTrt(['ops', 'db', '--root', root, '--truth', truthFile, '--no-artifacts'], { env: { DATABASE_URL: '', DATABASE_URL_READONLY: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/DATABASE_URL_READONLY/);
    expect(none.stderr).toMatch(/DATABASE_URL\b/);

    const unreachable = `postgres://ops:unreachable-pass-91@127.0.0.1:1/bot`;
    const refused = await runTrt(['ops', 'db', '--root', root, '--truth', truthFile, '--no-artifacts'], { env: { DATABASE_URL_READONLY: unreachable } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1\/bot/);
    expect(refused.stdout + refused.stderr).not.toContain('unreachable-pass-91');
  });
});
