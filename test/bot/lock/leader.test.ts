import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planTakeover, type HolderObservation } from '../../../bot/lock/holder.js';
import { LeaderLock, type LeaderLockOptions, type LockFacts } from '../../../bot/lock/leader.js';
import { startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const MIGRATIONS = join(import.meta.dirname, '../../../bot/migrations');

let postgres: TestPostgres;
let databases = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
});

afterAll(async () => {
  await postgres?.destroy();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database with bot/migrations applied, and an admin client on it. */
async function database(options: { migrate?: boolean } = {}): Promise<{ url: string; admin: pg.Client }> {
  databases += 1;
  const url = await postgres.createDatabase(`lock_${databases}`);
  const admin = new pg.Client({ connectionString: url, application_name: 'test-admin' });
  await admin.connect();
  cleanups.push(() => admin.end());
  if (options.migrate !== false) {
    for (const name of (await readdir(MIGRATIONS)).filter((file) => file.endsWith('.sql')).sort()) {
      await admin.query(await readFile(join(MIGRATIONS, name), 'utf8'));
    }
  }
  return { url, admin };
}

interface Instance {
  lock: LeaderLock;
  actives: number[];
  passives: string[];
  logs: string[];
}

function instance(url: string, instanceId: string, overrides: Partial<LeaderLockOptions> = {}): Instance {
  const logs: string[] = [];
  const actives: number[] = [];
  const passives: string[] = [];
  const lock = new LeaderLock({
    connectionString: url,
    lockKey: 4242,
    instanceId,
    heartbeatIntervalS: 0.2,
    staleHeartbeatS: 5,
    staleIdleS: 10,
    retryMs: 100,
    log: capturingLogger(logs),
    onActive: (epoch) => {
      actives.push(epoch);
    },
    onPassive: (reason) => {
      passives.push(reason);
    },
    ...overrides,
  });
  cleanups.push(() => lock.stop());
  return { lock, actives, passives, logs };
}

function capturingLogger(lines: string[]): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return pino({ level: 'info' }, stream);
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Samples every 20 ms how many of the locks say ACTIVE; `max()` is the most seen at once. */
function sampleActive(locks: LeaderLock[]): { max(): number; stop(): void } {
  let max = 0;
  const sample = () => {
    max = Math.max(max, locks.filter((lock) => lock.state === 'ACTIVE').length);
  };
  const timer = setInterval(sample, 20);
  cleanups.push(async () => clearInterval(timer));
  return {
    max: () => (sample(), max),
    stop: () => clearInterval(timer),
  };
}

function expectNumbersOrNull(facts: LockFacts): void {
  for (const key of ['epoch', 'holderPid', 'idleS', 'heartbeatAgeS'] as const) {
    const value = facts[key];
    expect(value === null || (typeof value === 'number' && Number.isFinite(value)), `${key} = ${String(value)} (${typeof value})`).toBe(true);
  }
}

async function leaderRow(admin: pg.Client, lockKey = 4242) {
  const { rows } = await admin.query<{ epoch: number; instance_id: string; holder_pid: number; heartbeat_at: Date | null }>(
    'SELECT epoch::float8 AS epoch, instance_id, holder_pid, heartbeat_at FROM bot_leader WHERE lock_key = $1::int',
    [lockKey],
  );
  return rows[0];
}

describe('LeaderLock on a real PostgreSQL', () => {
  it('makes exactly one of two instances ACTIVE and records it in bot_leader', async () => {
    const { url, admin } = await database();
    const a = instance(url, 'a');
    const b = instance(url, 'b');
    await Promise.all([a.lock.start(), b.lock.start()]);

    const states = [a.lock.state, b.lock.state].sort();
    expect(states).toEqual(['ACTIVE', 'PASSIVE']);
    const [active, passive] = a.lock.state === 'ACTIVE' ? [a, b] : [b, a];
    expect(active.actives).toEqual([1]);
    expect(active.lock.epoch).toBe(1);
    expect(passive.actives).toEqual([]);
    expect(passive.lock.epoch).toBeNull();

    const facts = active.lock.facts();
    expect(facts).toMatchObject({ state: 'ACTIVE', epoch: 1, idleS: 0 });
    expectNumbersOrNull(facts);
    expect(typeof facts.holderPid).toBe('number');
    expect(typeof facts.heartbeatAgeS).toBe('number');

    const row = await leaderRow(admin);
    expect(row).toMatchObject({ epoch: 1, instance_id: active === a ? 'a' : 'b', holder_pid: facts.holderPid });
    expect(row?.heartbeat_at).toBeInstanceOf(Date);
    const { rows } = await admin.query<{ application_name: string }>('SELECT application_name FROM pg_stat_activity WHERE pid = $1::int', [facts.holderPid]);
    expect(rows[0]?.application_name).toBe(`trt-bot:${active === a ? 'a' : 'b'}:lock`);

    // The PASSIVE one observes the holder for /health (its first look may precede the holder's row).
    await waitFor('the PASSIVE instance to see the holder and its heartbeat', () => {
      const seen = passive.lock.facts();
      return seen.holderPid === facts.holderPid && seen.heartbeatAgeS !== null;
    });
    const seen = passive.lock.facts();
    expect(seen).toMatchObject({ state: 'PASSIVE', epoch: null, holderPid: facts.holderPid });
    expectNumbersOrNull(seen);
    expect(typeof seen.heartbeatAgeS).toBe('number');
  });

  it('hands over through NOTIFY when the ACTIVE stops, well before the retry period', async () => {
    const { url, admin } = await database();
    const a = instance(url, 'a', { retryMs: 30_000 });
    await a.lock.start();
    const b = instance(url, 'b', { retryMs: 30_000 });
    await b.lock.start();
    expect([a.lock.state, b.lock.state]).toEqual(['ACTIVE', 'PASSIVE']);
    const sampler = sampleActive([a.lock, b.lock]);

    const stopping = a.lock.stop();
    // onPassive runs synchronously inside stop(), before the lock is released.
    expect(a.passives).toEqual(['stopped']);
    expect(a.lock.state).toBe('PASSIVE');
    await stopping;
    await a.lock.stop();

    // B retries only every 30 s: being ACTIVE within 5 s means the notification woke it.
    await waitFor('B to become ACTIVE after the notification', () => b.lock.state === 'ACTIVE', 5000);
    expect(b.actives).toEqual([2]);
    expect(b.lock.epoch).toBe(2);
    expect(await leaderRow(admin)).toMatchObject({ epoch: 2, instance_id: 'b' });
    expect(a.passives).toEqual(['stopped']);
    expect(sampler.max()).toBe(1);
  });

  it('goes PASSIVE at once when its lock connection is terminated, and the other takes over', async () => {
    const { url, admin } = await database();
    const a = instance(url, 'a');
    await a.lock.start();
    const b = instance(url, 'b');
    await b.lock.start();
    const sampler = sampleActive([a.lock, b.lock]);
    const pid = a.lock.facts().holderPid;

    await admin.query('SELECT pg_terminate_backend($1::int)', [pid]);

    await waitFor('A to call onPassive', () => a.passives.length > 0);
    expect(a.passives[0]).toMatch(/lock connection/);
    expect(a.logs.join('')).toMatch(/lost lock/);
    await waitFor('B to become ACTIVE', () => b.lock.state === 'ACTIVE');
    expect(b.actives).toEqual([2]);
    const bPid = b.lock.facts().holderPid;
    await waitFor('A to reconnect and observe B as PASSIVE', () => a.lock.facts().holderPid === bPid);
    expect(a.lock.state).toBe('PASSIVE');
    expect(a.actives).toEqual([1]);
    expect(sampler.max()).toBe(1);
  });

  it('takes over a stale holder, terminating its sessions, and the old holder learns it lost', async () => {
    const { url, admin } = await database();
    // A never heartbeats on its own within the test: its heartbeat goes stale when we age it.
    const a = instance(url, 'a', { heartbeatIntervalS: 3600, staleHeartbeatS: 1 });
    await a.lock.start();
    const b = instance(url, 'b', { staleHeartbeatS: 3 });
    await b.lock.start();
    expect([a.lock.state, b.lock.state]).toEqual(['ACTIVE', 'PASSIVE']);
    const sampler = sampleActive([a.lock, b.lock]);

    // A's pool connection, in the middle of a transaction that must not survive A.
    const aPool = new pg.Client({ connectionString: url, application_name: 'trt-bot:a' });
    const aPoolErrors: Error[] = [];
    aPool.on('error', (error) => aPoolErrors.push(error));
    await aPool.connect();
    cleanups.push(() => aPool.end().catch(() => undefined));
    await aPool.query('BEGIN');
    await aPool.query("INSERT INTO app_events (event, level) VALUES ('HALF_DONE'::text, 'info'::text)");
    // Another instance whose id merely starts with "a" is not A.
    const bystander = new pg.Client({ connectionString: url, application_name: 'trt-bot:ab' });
    await bystander.connect();
    cleanups.push(() => bystander.end().catch(() => undefined));

    // Still fresh: B leaves A alone.
    await sleep(300);
    expect(b.lock.state).toBe('PASSIVE');

    await admin.query("UPDATE bot_leader SET heartbeat_at = now() - interval '1 hour' WHERE lock_key = $1::int", [4242]);

    await waitFor('B to take over', () => b.lock.state === 'ACTIVE');
    expect(b.actives).toEqual([2]);
    expect(b.logs.join('')).toMatch(/taking over from stale holder/);
    await waitFor('A to learn it lost the lock', () => a.passives.length > 0);
    expect(a.lock.state).toBe('PASSIVE');
    await waitFor('A pool connection to be terminated', () => aPoolErrors.length > 0);
    const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM app_events WHERE event = 'HALF_DONE'");
    expect(rows[0]?.n).toBe(0);
    expect((await bystander.query<{ one: number }>('SELECT 1::int AS one')).rows[0]?.one).toBe(1);

    // A comes back PASSIVE and, with B heartbeating, never takes over in return.
    const bPid = b.lock.facts().holderPid;
    await waitFor('A to observe B', () => a.lock.facts().holderPid === bPid);
    await sleep(1500);
    expect(b.lock.state).toBe('ACTIVE');
    expect(b.passives).toEqual([]);
    expect(a.actives).toEqual([1]);
    expect(await leaderRow(admin)).toMatchObject({ epoch: 2, instance_id: 'b' });
    expect(sampler.max()).toBe(1);
  });

  it('never takes over a holder whose heartbeat is fresh, however idle its session', async () => {
    const { url } = await database();
    const a = instance(url, 'a', { heartbeatIntervalS: 0.1 });
    await a.lock.start();
    // Idle limit below the heartbeat interval: only the heartbeat may decide.
    const b = instance(url, 'b', { staleHeartbeatS: 2, staleIdleS: 0.01, retryMs: 20 });
    await b.lock.start();
    const sampler = sampleActive([a.lock, b.lock]);

    await sleep(2000);
    expect(a.lock.state).toBe('ACTIVE');
    expect(a.lock.epoch).toBe(1);
    expect(a.passives).toEqual([]);
    expect(b.lock.state).toBe('PASSIVE');
    expect(b.lock.facts().holderPid).toBe(a.lock.facts().holderPid);
    expect(b.logs.join('')).not.toMatch(/taking over/);
    expect(sampler.max()).toBe(1);
  });

  it('takes over a holder without a heartbeat only after its session idled past staleIdleS', async () => {
    const { url, admin } = await database();
    const squatter = new pg.Client({ connectionString: url, application_name: 'not-a-bot' });
    squatter.on('error', () => undefined);
    await squatter.connect();
    cleanups.push(() => squatter.end().catch(() => undefined));
    await squatter.query('SELECT pg_try_advisory_lock($1::int)', [4242]);
    const squatterPid = (await squatter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;

    const patient = instance(url, 'patient', { staleIdleS: 3600 });
    await patient.lock.start();
    await sleep(500);
    expect(patient.lock.state).toBe('PASSIVE');
    const facts = patient.lock.facts();
    expect(facts).toMatchObject({ holderPid: squatterPid, heartbeatAgeS: null });
    expect(typeof facts.idleS).toBe('number');
    await patient.lock.stop();

    const eager = instance(url, 'eager', { staleIdleS: 0.3 });
    await eager.lock.start();
    await waitFor('the eager instance to take over', () => eager.lock.state === 'ACTIVE');
    expect(eager.actives).toEqual([1]);
    const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1::int', [squatterPid]);
    expect(rows).toEqual([]);
  });

  it('refuses its heartbeat once fenced, releases the lock and goes PASSIVE', async () => {
    const { url, admin } = await database();
    const a = instance(url, 'a', { heartbeatIntervalS: 0.1, retryMs: 300 });
    await a.lock.start();
    expect(a.lock.epoch).toBe(1);

    await admin.query('UPDATE bot_leader SET epoch = 10 WHERE lock_key = $1::int', [4242]);

    await waitFor('A to notice it is fenced', () => a.passives.length > 0);
    expect(a.passives[0]).toMatch(/^fenced/);
    // It released the lock rather than dropping the connection, and competes again as PASSIVE.
    await waitFor('A to acquire again with a newer epoch', () => a.lock.state === 'ACTIVE');
    expect(a.actives).toEqual([1, 11]);
  });

  it('stops saying ACTIVE once its lease is older than staleHeartbeatS, as a process woken from SIGSTOP must', async () => {
    const { url } = await database();
    // The heartbeat timer never fires within the test: the event loop is as good as frozen.
    const a = instance(url, 'a', { heartbeatIntervalS: 600, staleHeartbeatS: 0.3, retryMs: 60_000 });
    await a.lock.start();
    expect(a.lock.facts().state).toBe('ACTIVE');
    await sleep(400);
    expect(a.lock.facts().state).toBe('PASSIVE');
    expect(a.lock.epoch).toBeNull();
    expect(a.passives).toHaveLength(1);
    expect(a.passives[0]).toMatch(/^lease expired/);
  });

  it('gives the lock up when a heartbeat gets no answer before others may call it stale', async () => {
    const { url, admin } = await database();
    const a = instance(url, 'a', { heartbeatIntervalS: 0.1, staleHeartbeatS: 1 });
    await a.lock.start();
    expect(a.lock.epoch).toBe(1);

    // The row lock makes A's heartbeat UPDATE wait, as a hung server or a cut network would.
    await admin.query('BEGIN');
    await admin.query('SELECT 1 FROM bot_leader WHERE lock_key = $1::int FOR UPDATE', [4242]);
    await waitFor('A to give up on its heartbeat', () => a.passives.length > 0);
    expect(a.passives[0]).toMatch(/^heartbeat failed: no answer within 1 s/);
    expect(a.lock.state).toBe('PASSIVE');
    await admin.query('ROLLBACK');

    await waitFor('A to be ACTIVE again once the database answers', () => a.lock.state === 'ACTIVE');
    expect(a.actives).toEqual([1, 2]);
  });

  it.each([-7, -2147483648, 2147483647])('finds the holder of lock key %i in pg_locks', async (lockKey) => {
    const { url, admin } = await database();
    const a = instance(url, 'a', { lockKey });
    await a.lock.start();
    const b = instance(url, 'b', { lockKey });
    await b.lock.start();
    expect([a.lock.state, b.lock.state]).toEqual(['ACTIVE', 'PASSIVE']);
    await waitFor('B to observe the holder', () => b.lock.facts().holderPid === a.lock.facts().holderPid);
    expect((await leaderRow(admin, lockKey))?.epoch).toBe(1);

    await a.lock.stop();
    await waitFor('B to take over', () => b.lock.state === 'ACTIVE');
    expect(b.lock.epoch).toBe(2);
  });

  it('stays PASSIVE with an actionable log when bot_leader is missing', async () => {
    const { url } = await database({ migrate: false });
    const a = instance(url, 'a');
    await a.lock.start();
    expect(a.lock.state).toBe('PASSIVE');
    await waitFor('the missing-table hint in the log', () => /apply bot\/migrations/.test(a.logs.join('')));
    await a.lock.stop();
  });

  it('starts PASSIVE when the database is unreachable, and stop() is safe in any state', async () => {
    const port = await closedPort();
    const a = instance(`postgres://postgres:x@127.0.0.1:${port}/none`, 'a');
    await a.lock.start();
    expect(a.lock.facts()).toEqual({ state: 'PASSIVE', epoch: null, holderPid: null, idleS: null, heartbeatAgeS: null });
    await Promise.all([a.lock.stop(), a.lock.stop()]);
    expect(a.passives).toEqual([]);

    const never = instance(`postgres://postgres:x@127.0.0.1:${port}/none`, 'never');
    await never.lock.stop();
    await never.lock.start();
    expect(never.lock.state).toBe('PASSIVE');
  });

  it('rejects a lock key that is not a signed 32-bit integer', () => {
    expect(() => instance('postgres://localhost/x', 'a', { lockKey: 2 ** 31 })).toThrow(/signed 32-bit/);
  });
});

describe('planTakeover', () => {
  const limits = { staleHeartbeatS: 30, staleIdleS: 60 };
  const row = (holderPid: number, heartbeatAgeS: number | null) => ({ epoch: 3, instanceId: 'old', holderPid, heartbeatAgeS });
  const cases: { name: string; holder: HolderObservation; takeover: boolean; instanceId?: string | null }[] = [
    { name: 'free lock', holder: { holderPid: null, idleS: null, row: row(10, 999) }, takeover: false },
    { name: 'fresh heartbeat', holder: { holderPid: 10, idleS: 999, row: row(10, 5) }, takeover: false },
    { name: 'heartbeat exactly at the limit', holder: { holderPid: 10, idleS: 999, row: row(10, 30) }, takeover: false },
    { name: 'stale heartbeat', holder: { holderPid: 10, idleS: 0, row: row(10, 31) }, takeover: true, instanceId: 'old' },
    { name: 'released row, idle holder', holder: { holderPid: 10, idleS: 61, row: row(10, null) }, takeover: true, instanceId: 'old' },
    { name: 'released row, busy holder', holder: { holderPid: 10, idleS: null, row: row(10, null) }, takeover: false },
    { name: 'new holder, row not yet written', holder: { holderPid: 11, idleS: null, row: row(10, 999) }, takeover: false },
    { name: 'foreign idle holder', holder: { holderPid: 11, idleS: 61, row: row(10, 999) }, takeover: true, instanceId: null },
    { name: 'no row, idle holder', holder: { holderPid: 11, idleS: 61, row: null }, takeover: true, instanceId: null },
    { name: 'no row, briefly idle holder', holder: { holderPid: 11, idleS: 59, row: null }, takeover: false },
  ];
  it.each(cases)('$name', ({ holder, takeover, instanceId }) => {
    const plan = planTakeover(holder, limits);
    expect(plan !== null).toBe(takeover);
    if (plan) expect(plan).toMatchObject({ holderPid: holder.holderPid, instanceId });
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}
