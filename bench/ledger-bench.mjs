#!/usr/bin/env node
/**
 * `npm run bench:ledger`: the credits ledger at 10^6 entries and the money path's throughput
 * (issue 4's benchmark), each against baselines measured in the same run on the same machine
 * (SPEC §11: targets are benchmarks, never timed unit tests). See bench/README.md for targets.
 *
 * Balance reads. An embedded PostgreSQL with the bot's migrations; --rows ledger entries over
 * --chats chats, inserted by INSERT … SELECT FROM generate_series in chunks of CHUNK rows, each
 * through the ledger's trigger (credit_accounts maintained row by row, as in production; the load
 * time is reported). A chat's entries are spread over the table (row i belongs to chat i mod
 * chats), the worst layout for a per-chat read. Then --reads reads of random chats (seeded), one at
 * a time, each timed around its round trip from this process:
 *   SELECT 1          the floor: a round trip with no work
 *   account row       SELECT balance FROM credit_accounts: the trigger-maintained sum, by primary key
 *   balanceOf fresh   dist/bot/billing/ledger.js balanceOf (sum over the chat's entries, through
 *                     credit_ledger_chat_amount_idx) right after the load, the table never vacuumed
 *                     (autovacuum off for it during the load): the index scan must visit the heap
 *   balanceOf         the same after VACUUM ANALYZE: an index-only scan — the target's figure
 *   no index          balanceOf with the index dropped inside a transaction (rolled back afterwards),
 *                     --baseline-reads reads: what the index buys
 * Money path. A second database; GenerationService (dist/) with the KIE emulator (0 ms task delay,
 * callbacks on), the bot's POST /kie-callback route on Fastify and graphile-worker running the
 * service's tasks (as the bot's job runner does), for each --workers count: --generations paid
 * requests over MONEY_CHATS funded chats, sent MONEY_IN_FLIGHT at a time, through reserve →
 * kie-submit (createTask) → KIE's callback → kie-poll (recordInfo) → capture → generation-notify,
 * timed from the first request to the last notification. The deadline and the poll interval are
 * product/truth.yaml's, so a callback the bot refuses shows as a generation finished by polling;
 * the callbacks' HTTP statuses and the bot's KIE_CALLBACK_REJECTED reasons are reported. Baseline:
 * the same number of createTask + recordInfo round trips through KieClient with no database, as
 * many at once as there are workers.
 *
 * Flags: --rows N | --chats N | --reads N | --baseline-reads N | --generations N | --workers 4,16 |
 * --no-money | --quick (10^5 rows, fewer reads and generations: a smoke check of the bench; size
 * flags given with it win) | --seed N |
 * --out FILE. Exits 0 even when a target is missed: it is a report, MISSED lines say what failed.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { Logger as WorkerLogger, run, runMigrations } from 'graphile-worker';
import { pino } from 'pino';
import { parse } from 'yaml';
import {
  BENCH_SECRETS, MiB, announce, busyMachineNote, createDatabase, createStarted, dist, importDist as load, loadAverageLine, msFormatter, mulberry32, outcomeLine,
  parseFlags, percentile, postgresSettings, printReportLines, repoRoot, requireBuilt, roundTo, runBench, startPostgres, table, verdict, verdictLine,
  wholeNumber, writeArtifact,
} from './lib.mjs';

const TARGETS = {
  /** p99 of a balance read at 10^6 ledger rows, with the index. */
  balanceP99Ms: 5,
};

const LOCK_KEY = 74110001;
const CHUNK = 100_000;
const WARMUP_READS = 200;
const MONEY_CHATS = 50;
const MONEY_IN_FLIGHT = 32;
const KIE_KEY = BENCH_SECRETS.kie;
const MODELS_YAML = 'version: 1\nmodels:\n  - { id: bench/one, title: One, kind: text-to-image, price_credits: 1, kie_model: google/imagen4-fast, input: {} }\n';
const BALANCE_SQL = 'SELECT COALESCE(sum(amount), 0)::text AS balance FROM credit_ledger WHERE chat_id = $1::bigint';
const silent = pino({ level: 'silent' });

function parseArguments(argv) {
  /** Flags given next to --quick win over its sizes. */
  const explicit = {};
  const options = { rows: 1_000_000, chats: 10_000, reads: 2_000, baselineReads: 100, generations: 1_000, workers: [4, 16], money: true, quick: false, seed: 42, out: join(repoRoot, 'artifacts', 'bench-ledger.json') };
  parseFlags(argv, 'ledger-bench.mjs', (flag, value) => {
    const whole = (text, minimum) => wholeNumber(flag, text, minimum);
    if (flag === '--rows') explicit.rows = options.rows = whole(value(), 1000);
    else if (flag === '--chats') explicit.chats = options.chats = whole(value(), 1);
    else if (flag === '--reads') explicit.reads = options.reads = whole(value(), 100);
    else if (flag === '--baseline-reads') explicit.baselineReads = options.baselineReads = whole(value(), 1);
    else if (flag === '--generations') explicit.generations = options.generations = whole(value(), 1);
    else if (flag === '--workers') explicit.workers = options.workers = value().split(',').map((part) => whole(part.trim(), 1));
    else if (flag === '--no-money') options.money = false;
    else if (flag === '--quick') options.quick = true;
    else if (flag === '--seed') options.seed = whole(value(), 0);
    else if (flag === '--out') options.out = resolve(value());
    else return false;
  });
  if (options.quick) Object.assign(options, { rows: 100_000, chats: 1_000, reads: 500, baselineReads: 20, generations: 200, workers: [4] }, explicit);
  if (options.chats > options.rows) throw new Error('--chats must not exceed --rows');
  return options;
}

// A figure that could not be measured stays in the JSON as null; reads are timed to the microsecond.
const round = (value, digits = 3) => roundTo(value, digits, null);
// Three decimals under 10 ms: an indexed read takes a fraction of a millisecond.
const formatMs = msFormatter(3);

function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    reads: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1)),
    meanMs: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up: PostgreSQL and the bot's schema.

/** What is running, so a failed run still stops it. */
const started = createStarted();

async function freshDatabase(serverUrl, name, max) {
  const url = await createDatabase(serverUrl, name);
  const { createPool } = await load('bot', 'db', 'pool.js');
  const pool = createPool(url, `trt-bench:${name}`, silent, max);
  started.add(`the pool of ${name}`, () => pool.end());
  const { applyMigrations } = await load('bot', 'db', 'migrate.js');
  await applyMigrations(pool, join(repoRoot, 'bot', 'migrations'), { lockKey: LOCK_KEY, log: silent, whileLocked: () => runMigrations({ pgPool: pool, logger: quietWorkerLogger() }) });
  return pool;
}

function quietWorkerLogger() {
  return new WorkerLogger(() => (level, message) => {
    if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
  });
}

const SETTINGS = ['server_version', 'shared_buffers', 'fsync', 'synchronous_commit', 'max_parallel_workers_per_gather'];
/** shared_buffers in MiB rather than 8 kB pages: it says whether the ledger fits in memory. */
const inMiB = (row) => (row.unit === '8kB' ? `${Math.round((Number(row.setting) * 8) / 1024)} MiB` : row.setting);

// ---------------------------------------------------------------------------------------------
// Balance reads at 10^6 rows.

/**
 * Row i: chat 1 + i mod chats; the chat's n-th entry (n = i div chats) cycles grant +10,
 * reserve −4, capture 0, reserve −4, so a balance only grows by 2 per cycle and never goes negative.
 */
const LOAD_SQL = `INSERT INTO credit_ledger (chat_id, kind, amount, ref, generation_id)
  SELECT 1 + i % $3::bigint,
         (ARRAY['grant', 'reserve', 'capture', 'reserve'])[1 + (i / $3::bigint) % 4],
         (ARRAY[10, -4, 0, -4])[1 + (i / $3::bigint) % 4],
         'bench:' || i,
         CASE WHEN (i / $3::bigint) % 4 = 0 THEN NULL ELSE i END
    FROM generate_series($1::bigint, $2::bigint) AS i`;

async function loadLedger(pool, options) {
  await pool.query('ALTER TABLE credit_ledger SET (autovacuum_enabled = false)');
  const began = performance.now();
  for (let from = 0; from < options.rows; from += CHUNK) {
    const to = Math.min(options.rows, from + CHUNK) - 1;
    await pool.query(LOAD_SQL, [from, to, options.chats]);
    process.stdout.write(`\r  loading: ${(to + 1).toLocaleString('en-US')} / ${options.rows.toLocaleString('en-US')} rows`);
  }
  const loadMs = performance.now() - began;
  process.stdout.write('\n');
  const check = await pool.query(
    `SELECT (SELECT count(*) FROM credit_ledger)::int AS rows,
            (SELECT count(*) FROM credit_accounts)::int AS accounts,
            (SELECT count(*) FROM credit_accounts a
               FULL JOIN (SELECT chat_id, sum(amount) AS total FROM credit_ledger GROUP BY chat_id) l ON l.chat_id = a.chat_id
              WHERE a.balance IS DISTINCT FROM l.total)::int AS mismatched,
            (SELECT min(balance) FROM credit_accounts)::float8 AS "minBalance",
            pg_total_relation_size('credit_ledger')::float8 AS "tableBytes",
            pg_relation_size('credit_ledger_chat_amount_idx')::float8 AS "indexBytes"`,
  );
  const facts = check.rows[0];
  const valid = facts.rows === options.rows && facts.accounts === options.chats && facts.mismatched === 0 && facts.minBalance >= 0;
  return {
    rows: facts.rows,
    chats: facts.accounts,
    loadMs: Math.round(loadMs),
    rowsPerS: Math.round(facts.rows / (loadMs / 1000)),
    tableMiB: round(facts.tableBytes / MiB, 1),
    indexMiB: round(facts.indexBytes / MiB, 1),
    accountsMatchLedger: facts.mismatched === 0,
    minBalance: facts.minBalance,
    valid,
  };
}

/** `reads` reads of random chats, one at a time, after a warm-up; milliseconds per round trip. */
async function timedReads(read, chats, reads, seed, warmup = WARMUP_READS) {
  const next = mulberry32(seed);
  const chat = () => 1 + Math.floor(next() * chats);
  for (let index = 0; index < warmup; index++) await read(chat());
  const samples = [];
  for (let index = 0; index < reads; index++) {
    const chatId = chat();
    const began = performance.now();
    await read(chatId);
    samples.push(performance.now() - began);
  }
  return summarise(samples);
}

/** How PostgreSQL runs the balance query now: scan type, heap fetches, server-side time. */
async function balancePlan(db, chatId) {
  const result = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${BALANCE_SQL}`, [chatId]);
  const [plan] = result.rows[0]['QUERY PLAN'];
  const scans = [];
  const walk = (node) => {
    if (/Scan/.test(node['Node Type'])) scans.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  const scan = scans[0] ?? {};
  return {
    scan: scan['Node Type'] ?? plan.Plan['Node Type'],
    index: scan['Index Name'] ?? null,
    heapFetches: scan['Heap Fetches'] ?? null,
    sharedBuffersHit: plan.Plan['Shared Hit Blocks'] ?? null,
    sharedBuffersRead: plan.Plan['Shared Read Blocks'] ?? null,
    serverMs: round(plan['Execution Time']),
  };
}

async function balanceReads(serverUrl, options) {
  const pool = await freshDatabase(serverUrl, 'bench_ledger', 4);
  const settings = await postgresSettings(pool, SETTINGS, inMiB);
  process.stdout.write(`\nLedger: ${options.rows.toLocaleString('en-US')} rows over ${options.chats.toLocaleString('en-US')} chats, through the trigger, in chunks of ${CHUNK.toLocaleString('en-US')}\n`);
  const loaded = await loadLedger(pool, options);
  process.stdout.write(`  loaded in ${formatMs(loaded.loadMs)} (${loaded.rowsPerS.toLocaleString('en-US')} rows/s); table ${loaded.tableMiB} MiB, index ${loaded.indexMiB} MiB; credit_accounts = sum of the ledger: ${loaded.accountsMatchLedger}\n`);
  await pool.query('ANALYZE credit_ledger');

  const { balanceOf } = await load('bot', 'billing', 'ledger.js');
  const series = {};
  const sample = 1 + Math.floor(options.chats / 2);
  const measure = async (name, label, read, reads = options.reads, warmup = WARMUP_READS) => {
    series[name] = { label, ...(await timedReads(read, options.chats, reads, options.seed, warmup)) };
    process.stdout.write(`  ${label.padEnd(34)} p50 ${formatMs(series[name].p50Ms).padStart(9)}  p99 ${formatMs(series[name].p99Ms).padStart(9)}  (${series[name].reads} reads)\n`);
  };

  await measure('floor', 'SELECT 1', () => pool.query('SELECT 1'));
  await measure('account', 'account row (credit_accounts)', (chatId) => pool.query('SELECT balance FROM credit_accounts WHERE chat_id = $1::bigint', [chatId]));
  const freshPlan = await balancePlan(pool, sample);
  await measure('fresh', 'balanceOf, never vacuumed', (chatId) => balanceOf(pool, chatId));

  const vacuumBegan = performance.now();
  await pool.query('VACUUM (ANALYZE) credit_ledger');
  const vacuumMs = Math.round(performance.now() - vacuumBegan);
  await pool.query('ALTER TABLE credit_ledger RESET (autovacuum_enabled)');
  const indexedPlan = await balancePlan(pool, sample);
  await measure('indexed', 'balanceOf, after VACUUM', (chatId) => balanceOf(pool, chatId));

  // Dropped inside a transaction and rolled back: the index comes back as the migration made it.
  const client = await pool.connect();
  let unindexedPlan;
  try {
    await client.query('BEGIN');
    await client.query('DROP INDEX credit_ledger_chat_amount_idx');
    await client.query('ANALYZE credit_ledger');
    unindexedPlan = await balancePlan(client, sample);
    await measure('unindexed', 'balanceOf, index dropped', (chatId) => balanceOf(client, chatId), options.baselineReads, 3);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
  return { settings, loaded, vacuumMs, series, plans: { fresh: freshPlan, indexed: indexedPlan, unindexed: unindexedPlan } };
}

// ---------------------------------------------------------------------------------------------
// The money path on the KIE emulator.

/** The generation settings the bot runs with. */
function productGeneration() {
  const truth = parse(readFileSync(join(repoRoot, 'product', 'truth.yaml'), 'utf8'));
  return { deadlineS: truth.generation?.deadline_s ?? 600, pollIntervalS: truth.generation?.poll_interval_s ?? 15 };
}

async function moneyPath(serverUrl, options, emulator, workers) {
  const pool = await freshDatabase(serverUrl, `bench_money_${workers}`, workers * 2 + 6 + MONEY_IN_FLIGHT * 2);
  const [{ GenerationService }, { KieClient }, { parseModelRegistry }, { registerKieCallbackRoute }, { addEntry, balanceOf }] = await Promise.all([
    load('bot', 'generation', 'service.js'),
    load('bot', 'generation', 'kie.js'),
    load('bot', 'generation', 'models.js'),
    load('bot', 'http', 'routes', 'kie-callback.js'),
    load('bot', 'billing', 'ledger.js'),
  ]);
  const app = Fastify({ logger: false });
  started.add(`the callback server of ${workers} workers`, () => app.close());
  let service;
  registerKieCallbackRoute(app, { get generation() { return service; }, log: silent });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const publicUrl = `http://127.0.0.1:${app.server.address().port}`;
  service = new GenerationService({
    pool,
    log: silent,
    kie: new KieClient({ apiRoot: emulator.apiRoot, apiKey: KIE_KEY }),
    models: parseModelRegistry(MODELS_YAML, 'bench-models.yaml'),
    publicUrl,
    callbackSecret: 'bench-callback-secret',
    ...productGeneration(),
  });
  const waiting = new Map();
  const finishedAt = new Map();
  service.setNotifier(async (generation) => {
    finishedAt.set(generation.id, performance.now());
    waiting.get(generation.id)?.();
  });

  const perChat = Math.ceil(options.generations / MONEY_CHATS);
  for (let chat = 1; chat <= MONEY_CHATS; chat++) await addEntry(pool, { chatId: chat, kind: 'grant', amount: perChat, ref: `bench-grant:${chat}`, cid: null });
  const runner = await run({ pgPool: pool, taskList: service.tasks(), concurrency: workers, noHandleSignals: true, pollInterval: 1000, logger: quietWorkerLogger() });
  emulator.reset();
  const startedAt = new Map();
  const began = performance.now();
  let nextIndex = 0;
  const outcomes = { started: 0, refused: 0 };
  const done = [];
  try {
    await Promise.all(Array.from({ length: MONEY_IN_FLIGHT }, async () => {
      for (let index = nextIndex++; index < options.generations; index = nextIndex++) {
        const chatId = 1 + (index % MONEY_CHATS);
        const requestedAt = performance.now();
        const outcome = await service.request({ chatId, cid: `bench-${index}`, modelId: 'bench/one', prompt: `bench ${index}`, requestRef: `bench:${workers}:${index}` });
        if (outcome.outcome !== 'started') {
          outcomes.refused++;
          continue;
        }
        outcomes.started++;
        startedAt.set(outcome.generationId, requestedAt);
        done.push(finishedAt.has(outcome.generationId) ? Promise.resolve() : new Promise((resolveDone) => waiting.set(outcome.generationId, resolveDone)));
      }
    }));
    const limitMs = 120_000;
    const allDone = await Promise.race([Promise.all(done).then(() => true), new Promise((resolveLimit) => setTimeout(() => resolveLimit(false), limitMs).unref())]);
    const wallMs = performance.now() - began;
    const latencies = [...startedAt].filter(([id]) => finishedAt.has(id)).map(([id, at]) => finishedAt.get(id) - at).sort((a, b) => a - b);
    const states = await pool.query(`SELECT state, count(*)::int AS n FROM generations GROUP BY state ORDER BY state`);
    const captures = await pool.query(`SELECT count(*)::int AS n FROM credit_ledger WHERE kind = 'capture'`);
    let balancesRight = true;
    for (let chat = 1; chat <= MONEY_CHATS; chat++) {
      const expected = perChat - Math.floor(options.generations / MONEY_CHATS) - (chat <= options.generations % MONEY_CHATS ? 1 : 0);
      if ((await balanceOf(pool, chat)) !== expected) balancesRight = false;
    }
    const succeeded = states.rows.find((row) => row.state === 'succeeded')?.n ?? 0;
    const rejected = await pool.query(`SELECT data->>'reason' AS reason, count(*)::int AS n FROM app_events WHERE event = 'KIE_CALLBACK_REJECTED' GROUP BY 1 ORDER BY 2 DESC`);
    // Generations whose callback the bot refused finish only at their poll: the rest show what the path itself sustains.
    const refused = new Set((await pool.query(`SELECT DISTINCT (data->>'generation_id')::int AS id FROM app_events WHERE event = 'KIE_CALLBACK_REJECTED' AND data->>'generation_id' IS NOT NULL`)).rows.map((row) => row.id));
    const byCallback = [...finishedAt].filter(([id]) => !refused.has(id)).map(([, at]) => at);
    const byCallbackMs = byCallback.length > 0 ? Math.max(...byCallback) - began : null;
    const callbackStatuses = {};
    for (const task of emulator.tasks()) for (const attempt of task.callbacks) callbackStatuses[attempt.status ?? attempt.error] = (callbackStatuses[attempt.status ?? attempt.error] ?? 0) + 1;
    return {
      workers,
      pollIntervalS: productGeneration().pollIntervalS,
      generations: options.generations,
      started: outcomes.started,
      refused: outcomes.refused,
      completed: latencies.length,
      allDone,
      wallMs: Math.round(wallMs),
      perS: round(latencies.length / (wallMs / 1000), 1),
      byCallback: byCallback.length,
      byCallbackPerS: byCallbackMs === null ? null : round(byCallback.length / (byCallbackMs / 1000), 1),
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      states: Object.fromEntries(states.rows.map((row) => [row.state, row.n])),
      captures: captures.rows[0].n,
      kieCallbacks: emulator.tasks().reduce((sum, task) => sum + task.callbacks.length, 0),
      callbackStatuses,
      callbacksRejected: Object.fromEntries(rejected.rows.map((row) => [row.reason, row.n])),
      valid: allDone && succeeded === options.generations && captures.rows[0].n === options.generations && balancesRight,
    };
  } finally {
    await runner.stop();
  }
}

/** createTask + recordInfo until the task is final, through KieClient, `concurrency` at a time: the KIE side alone. */
async function kieAlone(options, emulator, concurrency) {
  const { KieClient } = await load('bot', 'generation', 'kie.js');
  const client = new KieClient({ apiRoot: emulator.apiRoot, apiKey: KIE_KEY });
  emulator.reset();
  let nextIndex = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let index = nextIndex++; index < options.generations; index = nextIndex++) {
      const taskId = await client.createTask('google/imagen4-fast', { prompt: `bench ${index}` }, null);
      for (let record = await client.recordInfo(taskId); record.state !== 'success'; record = await client.recordInfo(taskId)) {
        if (record.state === 'fail') throw new Error(`emulator task ${taskId} failed: ${record.failMsg}`);
      }
    }
  }));
  const wallMs = performance.now() - began;
  return { concurrency, generations: options.generations, wallMs: Math.round(wallMs), perS: round(options.generations / (wallMs / 1000), 1) };
}

// ---------------------------------------------------------------------------------------------
// Report.

function verdicts(report) {
  const list = [];
  const add = (...args) => list.push(verdict(...args));
  const { reads } = report;
  const atScale = reads.loaded.rows >= 1_000_000 ? undefined : `only ${reads.loaded.rows.toLocaleString('en-US')} rows (--rows)`;
  const limit = `${TARGETS.balanceP99Ms} ms`;
  if (!reads.loaded.valid) list.push({ target: 'ledger load is valid', actual: JSON.stringify(reads.loaded), limit: 'every row in, accounts = sums, no negative balance', verdict: 'INVALID' });
  add(`balance read p99 < ${limit} at 10^6 rows, index, after VACUUM`, formatMs(reads.series.indexed.p99Ms), limit, reads.series.indexed.p99Ms < TARGETS.balanceP99Ms, atScale);
  add(`balance read p99 < ${limit} at 10^6 rows, index, never vacuumed`, formatMs(reads.series.fresh.p99Ms), limit, reads.series.fresh.p99Ms < TARGETS.balanceP99Ms, atScale);
  for (const entry of report.money ?? []) {
    if (!entry.valid) list.push({ target: `money path with ${entry.workers} workers is valid`, actual: JSON.stringify({ states: entry.states, captures: entry.captures, allDone: entry.allDone }), limit: 'every generation captured once, balances debited exactly', verdict: 'INVALID' });
  }
  return list;
}

function printReport(report) {
  const { reads } = report;
  const times = (value) => (value === null || value === undefined ? '' : `${value.toFixed(2)}×`);
  const lines = ['', `Balance reads at ${reads.loaded.rows.toLocaleString('en-US')} ledger rows, ${reads.loaded.chats.toLocaleString('en-US')} chats (random chats, one read at a time, round trip from this process)`, ''];
  const floor = reads.series.floor;
  const planOf = { fresh: reads.plans.fresh, indexed: reads.plans.indexed, unindexed: reads.plans.unindexed };
  lines.push(...table(
    ['read', 'reads', 'p50', 'p95', 'p99', 'max', 'p50 vs SELECT 1', 'p99 vs SELECT 1', 'plan', 'heap fetches', 'server time'],
    Object.entries(reads.series).map(([name, entry]) => [
      entry.label, String(entry.reads), formatMs(entry.p50Ms), formatMs(entry.p95Ms), formatMs(entry.p99Ms), formatMs(entry.maxMs),
      times(entry.p50Ms / floor.p50Ms), times(entry.p99Ms / floor.p99Ms),
      planOf[name]?.scan ?? '', planOf[name]?.heapFetches === null || planOf[name]?.heapFetches === undefined ? '' : String(planOf[name].heapFetches),
      planOf[name] ? formatMs(planOf[name].serverMs) : '',
    ]),
  ));
  const { indexed, unindexed } = reads.series;
  lines.push('', `The index makes a balance read ${(unindexed.p50Ms / indexed.p50Ms).toFixed(0)}× faster at p50 (${formatMs(unindexed.p50Ms)} → ${formatMs(indexed.p50Ms)}).`);
  lines.push(`Load: ${reads.loaded.rows.toLocaleString('en-US')} rows in ${formatMs(reads.loaded.loadMs)} (${reads.loaded.rowsPerS.toLocaleString('en-US')} rows/s, the trigger updating credit_accounts per row); VACUUM ANALYZE ${formatMs(reads.vacuumMs)}; table ${reads.loaded.tableMiB} MiB, index ${reads.loaded.indexMiB} MiB; credit_accounts equal to the ledger sums: ${reads.loaded.accountsMatchLedger ? 'yes' : 'NO'}.`);
  lines.push(`PostgreSQL ${reads.settings.server_version}, shared_buffers ${reads.settings.shared_buffers}, fsync ${reads.settings.fsync}, synchronous_commit ${reads.settings.synchronous_commit}, max_parallel_workers_per_gather ${reads.settings.max_parallel_workers_per_gather}.`);
  if (report.money) {
    lines.push('', `Money path: ${report.options.generations} generations over ${MONEY_CHATS} chats, ${MONEY_IN_FLIGHT} requests in flight; reserve → kie-submit → callback → kie-poll → capture → notify on graphile-worker; KIE emulator at 0 ms`, '');
    lines.push(...table(
      ['workers', 'generations/s', 'wall', 'p50 request→notify', 'p99 request→notify', 'KIE alone/s', 'vs KIE alone', 'callback-driven/s', 'captured', 'callbacks 200/sent', 'valid'],
      report.money.map((entry) => {
        const alone = report.kieAlone.find((baseline) => baseline.concurrency === entry.workers);
        return [String(entry.workers), entry.perS.toFixed(1), formatMs(entry.wallMs), formatMs(entry.p50Ms), formatMs(entry.p99Ms), alone ? alone.perS.toFixed(1) : '', alone ? times(entry.perS / alone.perS) : '', entry.byCallbackPerS === null ? '-' : `${entry.byCallbackPerS.toFixed(1)} (${entry.byCallback})`, `${entry.captures}/${entry.generations}`, `${entry.callbackStatuses['200'] ?? 0}/${entry.kieCallbacks}`, entry.valid ? 'yes' : 'NO'];
      }),
    ));
    lines.push('', 'KIE alone: createTask + recordInfo until success through KieClient, no database, as many at once as there are workers.');
    lines.push(`generation.poll_interval_s ${report.money[0]?.pollIntervalS} s (product/truth.yaml): a generation whose callback was refused waits for its poll.`);
    lines.push('callback-driven/s: the generations whose callback was accepted (how many in brackets), over the time until the last of them was notified.');
    for (const entry of report.money.filter((run) => Object.keys(run.callbacksRejected).length > 0)) {
      lines.push(`${entry.workers} workers: callbacks refused by the bot (KIE_CALLBACK_REJECTED): ${Object.entries(entry.callbacksRejected).map(([reason, n]) => `${n}× ${reason}`).join(', ')}.`);
    }
  }
  lines.push('', 'Targets', '', ...report.verdicts.map((entry) => verdictLine(entry)));
  for (const entry of report.money ?? []) lines.push(`  INFO    generations per second through the full money path, ${entry.workers} workers: ${entry.perS.toFixed(1)} (no target)`);
  lines.push('', outcomeLine(report.verdicts));
  const { machine } = report;
  lines.push(loadAverageLine(machine));
  if (machine.loadAverageAtStart > machine.cpus) lines.push(busyMachineNote(machine.cpus));
  if (report.options.quick) lines.push('--quick: a small ledger, indicative only.');
  printReportLines(lines, report.outFile);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  requireBuilt([dist('bot', 'billing', 'ledger.js'), dist('bot', 'db', 'embedded.js'), dist('bot', 'generation', 'service.js'), dist('emulators', 'kie', 'server.js')], 'bench:ledger');
  const { version, machine } = announce('ledger', { quick: options.quick });

  const began = performance.now();
  try {
    const { server: database } = await startPostgres(started, 'trt-bench-ledger-');
    const reads = await balanceReads(database.url, options);

    let money;
    let kieBaseline;
    if (options.money) {
      const { KieEmulator } = await load('emulators', 'kie', 'server.js');
      const emulator = await KieEmulator.start({ apiKey: KIE_KEY, defaultBehaviour: { outcome: 'success', delayMs: 0, callback: true } });
      started.add('the KIE emulator', () => emulator.stop());
      money = [];
      kieBaseline = [];
      for (const workers of options.workers) {
        process.stdout.write(`\nMoney path, ${workers} workers: ${options.generations} generations\n`);
        kieBaseline.push(await kieAlone(options, emulator, workers));
        money.push(await moneyPath(database.url, options, emulator, workers));
        const last = money.at(-1);
        process.stdout.write(`  ${last.perS.toFixed(1)} generations/s (KIE alone ${kieBaseline.at(-1).perS.toFixed(1)}/s)${last.valid ? '' : ' — INVALID run, see the report'}\n`);
      }
    }

    const report = {
      generatedAt: new Date().toISOString(),
      trtVersion: version,
      options,
      machine: { ...machine, loadAverageAtEnd: loadavg()[0] },
      method: {
        load: `INSERT … SELECT FROM generate_series, ${CHUNK} rows per statement, through the credit_ledger_apply trigger; row i belongs to chat 1 + i mod chats`,
        reads: `${WARMUP_READS} warm-up reads, then one read at a time of a random chat (mulberry32, seed ${options.seed}); time = performance.now() around the awaited query (pg.Pool, 127.0.0.1)`,
        fresh: 'autovacuum off for credit_ledger during the load and the first reads: no visibility map, so the index scan fetches heap pages',
        unindexed: 'DROP INDEX credit_ledger_chat_amount_idx and ANALYZE inside a transaction, the reads on its connection, then ROLLBACK',
        money: `graphile-worker run() with the service's tasks; deadline and poll interval from product/truth.yaml; ${MONEY_IN_FLIGHT} requests in flight; the KIE emulator (0 ms, callbacks on) in this process`,
      },
      targets: TARGETS,
      reads,
      ...(money ? { money, kieAlone: kieBaseline } : {}),
      totalMs: Math.round(performance.now() - began),
      outFile: options.out,
    };
    report.verdicts = verdicts(report);
    writeArtifact(options.out, report);
    printReport(report);
  } finally {
    await started.stopAll();
  }
}

runBench(main, () => started.stopAll());
