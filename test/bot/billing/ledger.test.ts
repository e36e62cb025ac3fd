/**
 * The credits ledger on a real PostgreSQL (migration 003 + bot/billing/ledger.ts): every kind of
 * entry, idempotency by ref, "never negative" enforced by the database itself (raw SQL included),
 * the append-only trigger, and concurrent reserves serialised per chat. After every test the
 * whole database is checked: each credit_accounts row equals the sum of its chat's entries.
 */
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addEntry, balanceOf, type EntryKind, type EntryOutcome } from '../../../bot/billing/ledger.js';
import { createPool } from '../../../bot/db/pool.js';
import { KieClient } from '../../../bot/generation/kie.js';
import { parseModelRegistry } from '../../../bot/generation/models.js';
import { GenerationService } from '../../../bot/generation/service.js';
import { startTestPostgres, type TestPostgres } from '../../support/postgres.js';
import { endPool, migrate } from './database.js';

const silent = pino({ level: 'silent' });

let postgres: TestPostgres;
let pool: pg.Pool;
let nextChat = 880_000_001;

beforeAll(async () => {
  postgres = await startTestPostgres();
  // 20 concurrent generate clicks each hold a transaction and read the balance on a second connection.
  pool = createPool(await postgres.createDatabase('ledger'), 'trt-test:ledger', silent, 45);
  await migrate(pool);
});

afterEach(async () => {
  expect(await accountsNotMatchingLedger()).toEqual([]);
});

afterAll(async () => {
  if (pool) await endPool(pool);
  await postgres?.destroy();
});

/** Every chat whose credit_accounts.balance differs from the sum of its ledger entries (either side missing counts). */
async function accountsNotMatchingLedger(): Promise<{ chat_id: string; account: string | null; ledger: string | null }[]> {
  const { rows } = await pool.query<{ chat_id: string; account: string | null; ledger: string | null }>(
    `SELECT COALESCE(a.chat_id, l.chat_id)::text AS chat_id, a.balance::text AS account, l.total::text AS ledger
       FROM credit_accounts a
       FULL JOIN (SELECT chat_id, sum(amount) AS total FROM credit_ledger GROUP BY chat_id) l ON l.chat_id = a.chat_id
      WHERE a.balance IS DISTINCT FROM l.total`,
  );
  return rows;
}

async function account(chatId: number): Promise<number | null> {
  const { rows } = await pool.query<{ balance: string }>('SELECT balance::text AS balance FROM credit_accounts WHERE chat_id = $1::bigint', [chatId]);
  return rows[0] ? Number(rows[0].balance) : null;
}

async function entries(chatId: number): Promise<{ kind: string; amount: number; ref: string }[]> {
  const { rows } = await pool.query<{ kind: string; amount: number; ref: string }>(
    'SELECT kind, amount::int AS amount, ref FROM credit_ledger WHERE chat_id = $1::bigint ORDER BY id',
    [chatId],
  );
  return rows;
}

function entry(chatId: number, kind: EntryKind, amount: number, ref: string, generationId: number | null = null) {
  return { chatId, kind, amount, ref, cid: `cid-${ref}`, generationId };
}

/** The PostgreSQL error a statement fails with; fails the test when it succeeds. */
async function refusal(sql: string, params: unknown[] = []): Promise<pg.DatabaseError> {
  try {
    await pool.query(sql, params);
  } catch (error) {
    if (error instanceof pg.DatabaseError) return error;
    throw error;
  }
  throw new Error(`PostgreSQL accepted: ${sql}`);
}

function tally(outcomes: EntryOutcome[]): Record<EntryOutcome, number> {
  const counts: Record<EntryOutcome, number> = { added: 0, duplicate: 0, insufficient: 0 };
  for (const outcome of outcomes) counts[outcome]++;
  return counts;
}

describe('entries', () => {
  it('adds each kind with its signed amount: grant, purchase, reserve, capture, release, refund', async () => {
    const chatId = nextChat++;
    const steps: [EntryKind, number, number][] = [
      ['grant', 10, 10],
      ['purchase', 50, 60],
      ['reserve', -8, 52],
      ['capture', 0, 52],
      ['reserve', -4, 48],
      ['release', 4, 52],
      ['refund', 8, 60],
    ];
    for (const [index, [kind, amount, expected]] of steps.entries()) {
      expect(await addEntry(pool, entry(chatId, kind, amount, `kinds:${chatId}:${index}`, kind === 'grant' || kind === 'purchase' ? null : 1))).toBe('added');
      expect(await balanceOf(pool, chatId)).toBe(expected);
      expect(await account(chatId)).toBe(expected);
    }
    expect((await entries(chatId)).map((row) => [row.kind, row.amount])).toEqual(steps.map(([kind, amount]) => [kind, amount]));
  });

  it('reads 0 for a chat that never had an entry, and keeps no account for it', async () => {
    const chatId = nextChat++;
    expect(await balanceOf(pool, chatId)).toBe(0);
    expect(await account(chatId)).toBeNull();
  });

  it('returns balances as numbers even above 2^31', async () => {
    const chatId = nextChat++;
    expect(await addEntry(pool, entry(chatId, 'grant', 3_000_000_000, `big:${chatId}`))).toBe('added');
    expect(await balanceOf(pool, chatId)).toBe(3_000_000_000);
  });
});

describe('idempotency by ref', () => {
  it('adds an entry once when its ref comes twice, whatever the second one says', async () => {
    const chatId = nextChat++;
    const other = nextChat++;
    const ref = `payment:${chatId}`;
    expect(await addEntry(pool, entry(chatId, 'purchase', 25, ref))).toBe('added');
    expect(await addEntry(pool, entry(chatId, 'purchase', 25, ref))).toBe('duplicate');
    // The ref is global: the same ref for another chat or amount is still the same operation.
    expect(await addEntry(pool, entry(other, 'grant', 99, ref))).toBe('duplicate');
    expect(await balanceOf(pool, chatId)).toBe(25);
    expect(await balanceOf(pool, other)).toBe(0);
    expect(await entries(chatId)).toHaveLength(1);
  });

  it('adds an entry once when its ref arrives 10 times at once', async () => {
    const chatId = nextChat++;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => addEntry(pool, entry(chatId, 'purchase', 7, `race:${chatId}`))));
    expect(tally(outcomes)).toEqual({ added: 1, duplicate: 9, insufficient: 0 });
    expect(await balanceOf(pool, chatId)).toBe(7);
  });
});

describe('never negative', () => {
  it('answers insufficient for a reserve larger than the balance and writes nothing', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 5, `grant:${chatId}`));
    const before = await entries(chatId);
    expect(await addEntry(pool, entry(chatId, 'reserve', -6, `reserve:${chatId}`, 1))).toBe('insufficient');
    expect(await entries(chatId)).toEqual(before);
    expect(await account(chatId)).toBe(5);
    // Nothing was written, so the ref is still free: once funded, the same reserve goes through.
    await addEntry(pool, entry(chatId, 'grant', 1, `top-up:${chatId}`));
    expect(await addEntry(pool, entry(chatId, 'reserve', -6, `reserve:${chatId}`, 1))).toBe('added');
    expect(await balanceOf(pool, chatId)).toBe(0);
  });

  it('answers insufficient for a reserve on a chat with no account, and creates none', async () => {
    const chatId = nextChat++;
    expect(await addEntry(pool, entry(chatId, 'reserve', -1, `reserve:${chatId}`, 1))).toBe('insufficient');
    expect(await account(chatId)).toBeNull();
    expect(await entries(chatId)).toEqual([]);
  });

  it('refuses a raw INSERT that would take the balance below zero, bypassing addEntry', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 3, `grant:${chatId}`));
    const error = await refusal(
      `INSERT INTO credit_ledger (chat_id, kind, amount, ref) VALUES ($1::bigint, 'reserve', -4, $2::text)`,
      [chatId, `raw:${chatId}`],
    );
    expect(error.constraint).toBe('credit_balance_never_negative');
    expect(error.message).toMatch(/credit_balance_never_negative/);
    expect(await entries(chatId)).toHaveLength(1);
    expect(await balanceOf(pool, chatId)).toBe(3);
  });

  it('refuses a raw negative first entry of an unknown chat', async () => {
    const chatId = nextChat++;
    const error = await refusal(`INSERT INTO credit_ledger (chat_id, kind, amount, ref) VALUES ($1::bigint, 'reserve', -1, $2::text)`, [chatId, `raw:${chatId}`]);
    expect(error.constraint).toBe('credit_balance_never_negative');
    expect(await account(chatId)).toBeNull();
  });

  it('refuses an amount whose sign does not fit its kind', async () => {
    const chatId = nextChat++;
    for (const [kind, amount] of [['grant', -1], ['purchase', 0], ['reserve', 1], ['capture', 1], ['release', -1]] as const) {
      const error = await refusal(`INSERT INTO credit_ledger (chat_id, kind, amount, ref) VALUES ($1::bigint, $2::text, $3::bigint, $4::text)`, [chatId, kind, amount, `sign:${chatId}:${kind}`]);
      expect(error.constraint).toBe('credit_ledger_amount_sign');
    }
  });

  it('refuses TRUNCATE of the ledger', async () => {
    const error = await refusal('TRUNCATE credit_ledger', []);
    expect(error.message).toContain('append-only');
  });

  it('refuses any write to credit_accounts that does not come from a ledger entry', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 2, `grant:${chatId}`));
    for (const [statement, params] of [
      ['UPDATE credit_accounts SET balance = -1 WHERE chat_id = $1::bigint', [chatId]],
      ['UPDATE credit_accounts SET balance = 1000 WHERE chat_id = $1::bigint', [chatId]],
      ['DELETE FROM credit_accounts WHERE chat_id = $1::bigint', [chatId]],
      ['INSERT INTO credit_accounts (chat_id, balance) VALUES ($1::bigint, 5)', [nextChat++]],
      ['TRUNCATE credit_accounts', []],
    ] as const) {
      const error = await refusal(statement, [...params]);
      expect(error.message).toContain('credit_accounts is maintained by credit_ledger');
    }
    expect(await account(chatId)).toBe(2);
  });

  it('aborts the surrounding transaction on insufficient, so a caller cannot half-apply', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 1, `grant:${chatId}`));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      expect(await addEntry(client, entry(chatId, 'reserve', -1, `first:${chatId}`, 1))).toBe('added');
      expect(await addEntry(client, entry(chatId, 'reserve', -1, `second:${chatId}`, 2))).toBe('insufficient');
      await expect(client.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await entries(chatId)).toHaveLength(1);
    expect(await balanceOf(pool, chatId)).toBe(1);
  });
});

describe('append-only', () => {
  it('refuses UPDATE of an entry with a message saying what to do instead', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 10, `grant:${chatId}`));
    const [{ id }] = (await pool.query<{ id: string }>('SELECT id::text AS id FROM credit_ledger WHERE ref = $1::text', [`grant:${chatId}`])).rows as [{ id: string }];
    const error = await refusal('UPDATE credit_ledger SET amount = 1000 WHERE id = $1::bigint', [id]);
    expect(error.message).toBe(`credit_ledger is append-only: add a compensating entry instead of UPDATE of entry ${id}`);
    expect(await entries(chatId)).toEqual([{ kind: 'grant', amount: 10, ref: `grant:${chatId}` }]);
    expect(await account(chatId)).toBe(10);
  });

  it('refuses DELETE of an entry with the same message', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 10, `grant:${chatId}`));
    await addEntry(pool, entry(chatId, 'reserve', -4, `reserve:${chatId}`, 1));
    const [{ id }] = (await pool.query<{ id: string }>('SELECT id::text AS id FROM credit_ledger WHERE ref = $1::text', [`reserve:${chatId}`])).rows as [{ id: string }];
    const error = await refusal('DELETE FROM credit_ledger WHERE id = $1::bigint', [id]);
    expect(error.message).toBe(`credit_ledger is append-only: add a compensating entry instead of DELETE of entry ${id}`);
    expect(await entries(chatId)).toHaveLength(2);
    expect(await balanceOf(pool, chatId)).toBe(6);
  });

  it('refuses a bulk UPDATE that would touch many chats', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 1, `grant:${chatId}`));
    const error = await refusal(`UPDATE credit_ledger SET kind = 'grant' WHERE kind = 'reserve' OR chat_id = $1::bigint`, [chatId]);
    expect(error.message).toMatch(/^credit_ledger is append-only: add a compensating entry instead of UPDATE of entry \d+$/);
  });
});

describe('balance = sum', () => {
  it('keeps credit_accounts equal to the sum of the entries through a mixed sequence with refusals and duplicates', async () => {
    const chatId = nextChat++;
    const operations: [EntryKind, number, string][] = [
      ['reserve', -1, 'r0'],
      ['grant', 4, 'g1'],
      ['reserve', -3, 'r1'],
      ['reserve', -3, 'r2'],
      ['grant', 4, 'g1'],
      ['capture', 0, 'c1'],
      ['release', 3, 'l2'],
      ['purchase', 20, 'p1'],
      ['reserve', -21, 'r3'],
      ['reserve', -20, 'r4'],
      ['refund', 20, 'f3'],
    ];
    let expected = 0;
    for (const [kind, amount, name] of operations) {
      const outcome = await addEntry(pool, entry(chatId, kind, amount, `mixed:${chatId}:${name}`, kind === 'grant' || kind === 'purchase' ? null : 1));
      if (outcome === 'added') expected += amount;
      expect(expected).toBeGreaterThanOrEqual(0);
      expect(await balanceOf(pool, chatId)).toBe(expected);
      // The refused first reserve leaves no account row at all: no entry, no account.
      expect((await account(chatId)) ?? 0).toBe(expected);
    }
    expect(expected).toBe(23);
  });

  it('counts every one of many concurrent first entries of a new chat', async () => {
    const chatId = nextChat++;
    // The first entries race to create the account row: the trigger's ON CONFLICT path must add, not overwrite.
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, index) => addEntry(pool, entry(chatId, 'grant', index + 1, `first:${chatId}:${index}`))));
    expect(tally(outcomes).added).toBe(20);
    expect(await account(chatId)).toBe(210);
    expect(await balanceOf(pool, chatId)).toBe(210);
  });
});

describe('concurrent reserves', () => {
  it('lets exactly 3 of 20 simultaneous reserves through on a balance for exactly 3', async () => {
    const chatId = nextChat++;
    await addEntry(pool, entry(chatId, 'grant', 15, `grant:${chatId}`));
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, index) => addEntry(pool, entry(chatId, 'reserve', -5, `reserve:${chatId}:${index}`, index + 1))));
    expect(tally(outcomes)).toEqual({ added: 3, duplicate: 0, insufficient: 17 });
    expect(await balanceOf(pool, chatId)).toBe(0);
    expect((await entries(chatId)).filter((row) => row.kind === 'reserve')).toHaveLength(3);
  });

  it('serialises per chat: three chats racing at once each get exactly what they can pay for', async () => {
    const chats = [nextChat++, nextChat++, nextChat++];
    const affordable = [1, 2, 4];
    await Promise.all(chats.map((chatId, index) => addEntry(pool, entry(chatId, 'grant', 3 * affordable[index]!, `grant:${chatId}`))));
    const attempts = chats.flatMap((chatId) => Array.from({ length: 8 }, (_, index) => ({ chatId, index })));
    // Interleaved, not chat by chat: the chats' reserves hit the database mixed together.
    attempts.sort((a, b) => a.index - b.index);
    const outcomes = await Promise.all(attempts.map(({ chatId, index }) => addEntry(pool, entry(chatId, 'reserve', -3, `reserve:${chatId}:${index}`, index + 1))));
    for (const [position, chatId] of chats.entries()) {
      const mine = outcomes.filter((_, index) => attempts[index]!.chatId === chatId);
      expect(tally(mine)).toEqual({ added: affordable[position], duplicate: 0, insufficient: 8 - affordable[position]! });
      expect(await balanceOf(pool, chatId)).toBe(0);
    }
  });

  it('starts exactly 3 of 20 simultaneous generate clicks on a balance for exactly 3 (GenerationService)', async () => {
    const chatId = nextChat++;
    const models = parseModelRegistry(
      'version: 1\nmodels:\n  - id: test/five\n    title: Five\n    kind: text-to-image\n    price_credits: 5\n    kie_model: google/imagen4-fast\n    input: {}\n',
      'ledger-test-models.yaml',
    );
    // request() only reserves and queues kie-submit; it never calls KIE, so this client is never used.
    const kie = new KieClient({ apiRoot: 'http://127.0.0.1:9', apiKey: 'never-used' });
    const service = new GenerationService({ pool, log: silent, kie, models, publicUrl: null, callbackSecret: 'ledger-test-secret', deadlineS: 600, pollIntervalS: 5 });
    await addEntry(pool, entry(chatId, 'grant', 15, `grant:${chatId}`));

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) => service.request({ chatId, cid: `click-${index}`, modelId: 'test/five', prompt: `fox ${index}`, requestRef: `click:${chatId}:${index}` })),
    );
    const started = outcomes.filter((outcome) => outcome.outcome === 'started');
    expect(started).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome.outcome === 'insufficient')).toHaveLength(17);
    expect(await balanceOf(pool, chatId)).toBe(0);

    const generations = await pool.query<{ id: string }>(`SELECT id::text AS id FROM generations WHERE chat_id = $1::bigint AND state = 'reserved'`, [chatId]);
    expect(generations.rows.map((row) => Number(row.id)).sort()).toEqual(started.map((outcome) => (outcome as { generationId: number }).generationId).sort());
    const reserves = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM credit_ledger WHERE chat_id = $1::bigint AND kind = 'reserve'`, [chatId]);
    expect(reserves.rows[0]!.n).toBe(3);
    // Only the started ones queued their KIE task: a refused click leaves no job behind.
    const jobs = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'kie-submit' AND key IN (SELECT 'submit:' || id FROM generations WHERE chat_id = $1::bigint)`,
      [chatId],
    );
    expect(jobs.rows[0]!.n).toBe(3);
  });
});
