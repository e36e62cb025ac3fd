import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, migrationStatus, MigrationError, readMigrations } from '../../../bot/db/migrate.js';
import { startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const REPO_MIGRATIONS = fileURLToPath(new URL('../../../bot/migrations/', import.meta.url));
// The repository's own migrations, whatever they are today; test files are numbered after them.
const REPO_FILES = readdirSync(REPO_MIGRATIONS).filter((name) => name.endsWith('.sql')).sort();
const LOCK_KEY = 74110001;
const silent = pino({ level: 'silent' });

let postgres: TestPostgres;
let databases = 0;
const pools: pg.Pool[] = [];
const folders: string[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

afterAll(async () => {
  await postgres?.destroy();
});

async function freshPool(): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await postgres.createDatabase(`migrate_${++databases}`) });
  pools.push(pool);
  return pool;
}

/** A temp folder holding the repo's migrations plus `extra` files. */
function migrationsFolder(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'trt-migrations-'));
  folders.push(dir);
  cpSync(REPO_MIGRATIONS, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, name), sql);
  return dir;
}

function emptyFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trt-migrations-'));
  folders.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function history(pool: pg.Pool): Promise<{ name: string; checksum: string; applied_at: string }[]> {
  const { rows } = await pool.query<{ name: string; checksum: string; applied_at: string }>(
    'SELECT name, checksum, applied_at::text AS applied_at FROM migration_history ORDER BY name',
  );
  return rows;
}

async function tableExists(pool: pg.Pool, name: string): Promise<boolean> {
  const { rows } = await pool.query<{ present: boolean }>('SELECT to_regclass($1::text) IS NOT NULL AS present', [name]);
  return rows[0]!.present;
}

/** Advisory locks held in the pool's database: none may be left behind. */
async function advisoryLocks(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0]!.n;
}

function capturingLogger(): { log: pino.Logger; lines: () => { level: number; msg: string; migration?: string }[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'info' }, stream);
  return { log, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

describe('applyMigrations', () => {
  it("applies the repo's migrations to an empty database, recording each with its checksum", async () => {
    const pool = await freshPool();
    const result = await applyMigrations(pool, REPO_MIGRATIONS, { lockKey: LOCK_KEY, log: silent });

    expect(result).toEqual({ applied: REPO_FILES, alreadyApplied: [] });
    for (const table of ['migration_history', 'bot_leader', 'inbox', 'app_events']) expect(await tableExists(pool, table)).toBe(true);
    const rows = await history(pool);
    expect(rows.map((row) => [row.name, row.checksum])).toEqual(
      REPO_FILES.map((name) => [name, createHash('sha256').update(readFileSync(join(REPO_MIGRATIONS, name))).digest('hex')]),
    );
    expect(await advisoryLocks(pool)).toBe(0);
  });

  it('is a no-op the second time: same rows, same applied_at', async () => {
    const pool = await freshPool();
    await applyMigrations(pool, REPO_MIGRATIONS, { lockKey: LOCK_KEY, log: silent });
    const before = await history(pool);

    const again = await applyMigrations(pool, REPO_MIGRATIONS, { lockKey: LOCK_KEY, log: silent });

    expect(again).toEqual({ applied: [], alreadyApplied: REPO_FILES });
    expect(await history(pool)).toEqual(before);
  });

  it('stops on an applied file that was edited, naming it, and applies nothing new', async () => {
    const pool = await freshPool();
    const dir = migrationsFolder();
    await applyMigrations(pool, dir, { lockKey: LOCK_KEY, log: silent });
    appendFileSync(join(dir, '002_core.sql'), '\nCREATE TABLE sneaked_in (id int);\n');
    writeFileSync(join(dir, '900_next.sql'), 'CREATE TABLE next_table (id int);\n');

    const attempt = applyMigrations(pool, dir, { lockKey: LOCK_KEY, log: silent });

    await expect(attempt).rejects.toThrow(MigrationError);
    await expect(attempt).rejects.toThrow(
      /^migration 002_core\.sql was changed after it was applied \(checksum [0-9a-f]{12}…≠[0-9a-f]{12}…\): restore the file and add a new numbered migration instead$/,
    );
    expect((await history(pool)).map((row) => row.name)).toEqual(REPO_FILES);
    expect(await tableExists(pool, 'next_table')).toBe(false);
    expect(await advisoryLocks(pool)).toBe(0);
  });

  it('rolls back a failing file alone, naming it and PostgreSQL’s message; earlier files stay applied', async () => {
    const pool = await freshPool();
    const dir = migrationsFolder({
      '900_broken.sql': 'CREATE TABLE half_done (id int);\n\nSELECT * FROM no_such_table;\n',
      '901_after.sql': 'CREATE TABLE after_broken (id int);\n',
    });

    const attempt = applyMigrations(pool, dir, { lockKey: LOCK_KEY, log: silent });

    await expect(attempt).rejects.toThrow(MigrationError);
    await expect(attempt).rejects.toThrow(
      'migration 900_broken.sql failed at line 3: relation "no_such_table" does not exist; it was rolled back (the migrations before it stay applied): fix the file and start again',
    );
    expect((await history(pool)).map((row) => row.name)).toEqual(REPO_FILES);
    expect(await tableExists(pool, 'half_done')).toBe(false);
    expect(await tableExists(pool, 'after_broken')).toBe(false);
    expect(await advisoryLocks(pool)).toBe(0);

    writeFileSync(join(dir, '900_broken.sql'), 'CREATE TABLE half_done (id int);\n');
    const fixed = await applyMigrations(pool, dir, { lockKey: LOCK_KEY, log: silent });
    expect(fixed).toEqual({ applied: ['900_broken.sql', '901_after.sql'], alreadyApplied: REPO_FILES });
  });

  it('serialises two instances starting together: both succeed, each file is applied once', async () => {
    const url = await postgres.createDatabase(`migrate_${++databases}`);
    const first = new pg.Pool({ connectionString: url });
    const second = new pg.Pool({ connectionString: url });
    pools.push(first, second);
    const trace: string[] = [];
    const whileLocked = async (client: pg.PoolClient): Promise<void> => {
      trace.push('enter');
      const { rows } = await client.query<{ held: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
                          AND classid = $1::int::oid AND objid = 1 AND pid = pg_backend_pid() AND granted) AS held`,
        [LOCK_KEY],
      );
      expect(rows[0]!.held).toBe(true);
      // Give the other instance time to reach the lock while this one holds it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      trace.push('exit');
    };

    const results = await Promise.all([
      applyMigrations(first, REPO_MIGRATIONS, { lockKey: LOCK_KEY, log: silent, whileLocked }),
      applyMigrations(second, REPO_MIGRATIONS, { lockKey: LOCK_KEY, log: silent, whileLocked }),
    ]);

    expect(trace).toEqual(['enter', 'exit', 'enter', 'exit']);
    expect(results.map((result) => result.applied).flat()).toEqual(REPO_FILES);
    expect(results.map((result) => result.alreadyApplied).flat()).toEqual(REPO_FILES);
    expect((await history(first)).map((row) => row.name)).toEqual(REPO_FILES);
    expect(await advisoryLocks(first)).toBe(0);
  });

  it('warns about an applied migration whose file is gone, and goes on', async () => {
    const pool = await freshPool();
    const dir = migrationsFolder({ '900_old.sql': 'CREATE TABLE old_table (id int);\n' });
    await applyMigrations(pool, dir, { lockKey: LOCK_KEY, log: silent });
    rmSync(join(dir, '900_old.sql'));
    const { log, lines } = capturingLogger();

    const result = await applyMigrations(pool, dir, { lockKey: LOCK_KEY, log });

    expect(result).toEqual({ applied: [], alreadyApplied: REPO_FILES });
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ migration: '900_old.sql' });
    expect(warnings[0]!.msg).toContain('900_old.sql is recorded as applied but its file is no longer in');
  });
});

describe('readMigrations', () => {
  it('sorts by number, not by text, and ignores files that are not .sql', () => {
    const dir = emptyFolder({ '10_later.sql': 'SELECT 10;', '2_earlier.sql': 'SELECT 2;', 'README.md': '# notes' });
    expect(readMigrations(dir).map((file) => file.name)).toEqual(['2_earlier.sql', '10_later.sql']);
  });

  it('rejects two files with the same number, naming both', () => {
    const dir = emptyFolder({ '001_first.sql': 'SELECT 1;', '1_again.sql': 'SELECT 1;', '002_next.sql': 'SELECT 2;' });
    expect(() => readMigrations(dir)).toThrow(MigrationError);
    expect(() => readMigrations(dir)).toThrow(
      `migrations 001_first.sql and 1_again.sql in ${dir} share the number 1: renumber the one not yet applied (the next free number is 3)`,
    );
  });

  it.each([['add_users.sql'], ['003 users.sql'], ['004_users.SQL'], ['005_ü.sql']])('rejects the badly named file %s', (name) => {
    const dir = emptyFolder({ '001_ok.sql': 'SELECT 1;', [name]: 'SELECT 2;' });
    expect(() => readMigrations(dir)).toThrow(MigrationError);
    expect(() => readMigrations(dir)).toThrow(`migration file ${join(dir, name)} is not named <number>_<name>.sql`);
  });

  it('names a missing folder', () => {
    const dir = join(tmpdir(), 'trt-no-such-migrations-folder');
    expect(() => readMigrations(dir)).toThrow(`cannot read the migrations folder ${dir}`);
  });
});

describe('migrationStatus', () => {
  it('reports everything pending before the history table exists', async () => {
    const pool = await freshPool();
    expect(await migrationStatus(pool, readMigrations(REPO_MIGRATIONS))).toEqual({ applied: [], pending: REPO_FILES, changed: [] });
  });

  it('reports applied, pending and changed files', async () => {
    const pool = await freshPool();
    const dir = migrationsFolder();
    await applyMigrations(pool, dir, { lockKey: LOCK_KEY, log: silent });
    appendFileSync(join(dir, '002_core.sql'), '\n-- edited\n');
    writeFileSync(join(dir, '900_next.sql'), 'SELECT 1;\n');

    expect(await migrationStatus(pool, readMigrations(dir))).toEqual({
      applied: REPO_FILES,
      pending: ['900_next.sql'],
      changed: ['002_core.sql'],
    });
  });
});
