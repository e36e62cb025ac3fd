import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, describeDatabaseUrl } from '../../../bot/db/pool.js';
import { startTestPostgres, type TestPostgres } from '../../support/postgres.js';

describe('describeDatabaseUrl', () => {
  it.each([
    ['postgres://bot:s3cret@db.internal:6543/trt', 'db.internal:6543/trt'],
    ['postgresql://bot:s3cret@db.internal/trt?sslmode=require', 'db.internal:5432/trt'],
    ['postgres://127.0.0.1:5433/', '127.0.0.1:5433/(default database)'],
    ['postgres:///trt?host=/var/run/postgresql', '/var/run/postgresql:5432/trt'],
    ['postgres://u:p@h:1/my%20db', 'h:1/my db'],
    ['host=db user=bot password=s3cret', '(a database URL that is not a postgres:// URL)'],
  ])('%s → %s', (url, expected) => {
    expect(describeDatabaseUrl(url)).toBe(expected);
    expect(describeDatabaseUrl(url)).not.toContain('s3cret');
  });
});

describe('createPool', () => {
  let postgres: TestPostgres;

  beforeAll(async () => {
    postgres = await startTestPostgres();
  });

  afterAll(async () => {
    await postgres?.destroy();
  });

  it('names every connection with the application name', async () => {
    const pool = createPool(postgres.url, 'trt-bot:test-instance', pino({ level: 'silent' }), 2);
    try {
      const names = await Promise.all(
        [1, 2].map(async () => (await pool.query<{ name: string }>(`SELECT current_setting('application_name') AS name`)).rows[0]!.name),
      );
      expect(names).toEqual(['trt-bot:test-instance', 'trt-bot:test-instance']);
    } finally {
      await pool.end();
    }
  });

  it('logs an idle connection that dies, without credentials, and keeps working', async () => {
    const lines: { level: number; msg: string; database: string }[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const pool = createPool(postgres.url, 'trt-bot:doomed', pino({ level: 'info' }, stream));
    try {
      await pool.query('SELECT 1');
      const killer = new pg.Client({ connectionString: postgres.url });
      await killer.connect();
      await killer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1::text`, ['trt-bot:doomed']);
      await killer.end();

      await expect.poll(() => lines.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(lines[0]).toMatchObject({ level: 40, database: `127.0.0.1:${postgres.port}/postgres` });
      expect(lines[0]!.msg).toContain('database connection failed');
      expect(lines).toHaveLength(1);
      expect(JSON.stringify(lines)).not.toContain(new URL(postgres.url).password);
      expect((await pool.query<{ one: number }>('SELECT 1::int AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
