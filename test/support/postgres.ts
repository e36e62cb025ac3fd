/**
 * A real PostgreSQL for tests: one embedded server per test file (start in beforeAll, destroy in
 * afterAll; a start costs about two seconds) and a fresh database per test from createDatabase.
 *
 * @example
 * ```ts
 * let postgres: TestPostgres;
 * beforeAll(async () => { postgres = await startTestPostgres(); });
 * afterAll(() => postgres.destroy());
 * it('...', async () => {
 *   const pool = new pg.Pool({ connectionString: await postgres.createDatabase('t1') });
 * });
 * ```
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbeddedPostgres } from '../../bot/db/embedded.js';

export interface TestPostgres {
  /** The `postgres` database of the server. */
  url: string;
  port: number;
  /** Stops the server and keeps its data. */
  stop(): Promise<void>;
  /** Starts it again after stop, same data and port. */
  start(): Promise<void>;
  /** Stops the server and deletes its temporary folder. */
  destroy(): Promise<void>;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/** Test files run in parallel: another one may take the free port between its probe and PostgreSQL's bind. */
const PORT_RACE_ATTEMPTS = 3;

export async function startTestPostgres(): Promise<TestPostgres> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      if (attempt >= PORT_RACE_ATTEMPTS || !(error instanceof Error && /already in use/.test(error.message))) throw error;
    }
  }
}

async function startOnce(): Promise<TestPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'trt-test-pg-'));
  // mkdtemp makes the folder 0700; as root, postgres runs as the OS user `postgres`, which must
  // be able to traverse it to reach the data folder. The password file inside stays 0600.
  await chmod(root, 0o711);
  const log = pino({ level: process.env.TRT_TEST_PG_LOG ?? 'silent' });
  const server = await startEmbeddedPostgres({ dataDir: join(root, 'data'), log }).catch(async (error: unknown) => {
    await rm(root, { recursive: true, force: true });
    throw error;
  });
  return {
    url: server.url,
    port: server.port,
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      const url = new URL(server.url);
      url.pathname = `/${encodeURIComponent(name)}`;
      return url.toString();
    },
  };
}
