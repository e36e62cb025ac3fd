#!/usr/bin/env node
/**
 * `npm run bench:bot`: how fast the bot acknowledges, processes and fails over, measured against a
 * bare Fastify route in the same run on the same machine (SPEC §11: targets are benchmarks, never
 * timed unit tests). See bench/README.md for the method and the targets.
 *
 * Everything runs on loopback against an embedded PostgreSQL this bench starts in a temporary
 * folder, with the Telegram emulator (its own process) as the bot's Telegram:
 *   webhook ack   `node dist/bot/main.js` and bench/bare-webhook-server.mjs, each a child process
 *                 started fresh for each run, loaded by autocannon from this process at 200 and
 *                 1,000 requests/s (p50/p99) and at full speed (the maximum sustained rate)
 *   end to end    N `/help` updates over 1, 4 and 16 chats, posted as fast as the webhook takes
 *                 them, timed until every one has its DISPATCH_OK in app_events
 *   failover      two bots on one database: the ACTIVE killed with SIGKILL (then SIGTERM), timed
 *                 until the other answers /health with active: true; a fresh standby each round
 *
 * Flags: --quick (short runs, a smoke check of the bench itself) | --seconds N (measured seconds
 * of each load run) | --updates N (updates per end-to-end batch) | --rounds N (failover rounds per
 * signal) | --connections N (autocannon connections of the full-speed run) | --out FILE.
 * Exits 0 even when a target is missed: it is a report, MISSED lines say what failed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import {
  BENCH_SECRETS, announce, busyMachineNote, createDatabase, createStarted, dist, health, freePort, loadAverageLine, msFormatter, outcomeLine, parseFlags, percentile, postgresSettings, printReportLines, repoRoot, requireBuilt, roundTo, runBench, sleep, startNodeChild, startPostgres, stopOnSignals, table, until, verdict, verdictLine, wholeNumber, withClient, writeArtifact,
} from './lib.mjs';

const TOKEN = BENCH_SECRETS.token;
const WEBHOOK_SECRET = BENCH_SECRETS.webhook;
const ADMIN_SECRET = BENCH_SECRETS.admin;
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const TARGETS = {
  /** p99 of the webhook acknowledgement at {@link TARGETS.p99AtRate} requests/s. */
  p99Ms: 50,
  p99AtRate: 1000,
  /** The bot's maximum sustained rate as a share of the bare route's. */
  sustainedVsBare: 0.25,
  /** Median time until the standby is ACTIVE after SIGTERM of the ACTIVE. */
  sigtermTakeoverMs: 2000,
};

const FIXED_RATES = [200, 1000];
/** The load runs' queue.capacity: the backlog grows during a full-speed run, and a 503 from backpressure would end it early. */
const LOAD_QUEUE_CAPACITY = 10_000_000;
/**
 * autocannon limits a rate per connection per second: each connection sends its quota
 * back-to-back at the start of every second, so one instance at 1,000 req/s is a burst of 1,000
 * requests followed by silence. The offered rate is split over this many instances started
 * 1/SLICES s apart, each bursting at most BURST requests per connection, to approach evenly
 * spaced arrivals.
 */
const SLICES = 20;
const BURST = 10;
/** A run only counts what completed in its measured window: the first second (start, connection set-up) is left out. */
const RAMP_S = 1;
/** Above Telegram's smoke-test range: never collides with ids a developer posts by hand. */
const FIRST_UPDATE_ID = 1_000_000_000_000;
const HEALTH_POLL_MS = 20;

function parseArguments(argv) {
  const options = { quick: false, seconds: undefined, updates: undefined, rounds: undefined, connections: 50, out: join(repoRoot, 'artifacts', 'bench-bot.json') };
  parseFlags(argv, 'bot-bench.mjs', (flag, value) => {
    if (flag === '--quick') options.quick = true;
    else if (flag === '--seconds') options.seconds = wholeNumber(flag, value(), 1);
    else if (flag === '--updates') options.updates = wholeNumber(flag, value(), 16);
    else if (flag === '--rounds') options.rounds = wholeNumber(flag, value(), 1);
    else if (flag === '--connections') options.connections = wholeNumber(flag, value(), 1);
    else if (flag === '--out') options.out = resolve(value());
    else return false;
  });
  options.seconds ??= options.quick ? 3 : 10;
  options.updates ??= options.quick ? 150 : 500;
  options.rounds ??= options.quick ? 2 : 5;
  options.warmupSeconds = options.quick ? 1 : 2;
  options.endToEndLimitS = options.quick ? 45 : 120;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Everything the bench starts, so that it is stopped whatever happens (error, Ctrl-C).

const started = createStarted();
const cleanUp = () => started.stopAll();
stopOnSignals(started, 'the bots, the emulator and PostgreSQL');

/** SIGKILL, then the exit: the bench's databases are thrown away, nothing needs a graceful stop. */
function stopChild(proc) {
  if (proc.alive()) proc.child.kill('SIGKILL');
  return proc.exited;
}

/** Waits up to `ms` for a child to exit by itself, then SIGKILLs it. */
async function exitWithin(proc, ms) {
  let timer;
  const exited = await Promise.race([proc.exited, new Promise((resolveTimeout) => {
    timer = setTimeout(resolveTimeout, ms);
  })]);
  clearTimeout(timer);
  return exited ?? stopChild(proc);
}

// ---------------------------------------------------------------------------------------------
// The pieces: PostgreSQL, the emulator, truth copies, the bot and the bare route.

/** What a commit costs depends on these: quoted in the report as PostgreSQL gives them. */
const SETTINGS = ['server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_connections'];

/**
 * The emulator in a process of its own, so that replying to the bot does not compete with
 * autocannon for this process's event loop. The bench never reads the recorded calls, so they
 * are dropped every few seconds instead of piling up over tens of thousands of replies.
 */
async function startEmulator() {
  const script = `
    const { TelegramEmulator } = await import(${JSON.stringify(pathToFileURL(dist('emulators', 'telegram', 'server.js')).href)});
    const telegram = await TelegramEmulator.start({ token: process.env.TELEGRAM_BOT_TOKEN });
    setInterval(() => telegram.reset(), 5000).unref();
    process.stdout.write('apiRoot ' + telegram.apiRoot + '\\n');
    const stop = () => telegram.stop().finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);`;
  const proc = startNodeChild(started, 'the Telegram emulator', ['--input-type=module', '-e', script], { TELEGRAM_BOT_TOKEN: TOKEN });
  const [, apiRoot] = await proc.waitForLine(/^apiRoot (\S+)$/, 20_000);
  return { proc, apiRoot };
}

/**
 * A copy of product/truth.yaml with the given database/queue settings. database.migrations stays
 * relative (the schema refuses absolute paths): the bot resolves it from the package root.
 */
function writeTruth(folder, name, overrides) {
  const truth = parse(readFileSync(join(repoRoot, 'product', 'truth.yaml'), 'utf8'));
  truth.database = { ...truth.database, ...overrides.database };
  truth.queue = { ...truth.queue, ...overrides.queue };
  const file = join(folder, `${name}.truth.yaml`);
  writeFileSync(file, stringify(truth));
  return { file, database: truth.database, queue: truth.queue };
}

/** `node dist/bot/main.js`, configured as test/support/bot.ts does; resolves once it answers /health. */
async function spawnBot(label, { databaseUrl, apiRoot, truthFile }) {
  const port = await freePort();
  const proc = startNodeChild(started, label, [dist('bot', 'main.js')], {
    TELEGRAM_BOT_TOKEN: TOKEN,
    WEBHOOK_SECRET,
    ADMIN_SECRET,
    DATABASE_URL: databaseUrl,
    TELEGRAM_API_ROOT: apiRoot,
    TRUTH_FILE: truthFile,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: process.env.TRT_BENCH_LOG_LEVEL ?? 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await until(`${label} to answer ${url}/health`, async () => {
    if (!proc.alive()) throw new Error(`${label} exited before answering /health:\n${proc.output()}`);
    return (await health(url, 500)) ? true : undefined;
  }, 60_000, 100).catch(async (error) => {
    await stopChild(proc);
    throw error;
  });
  return { ...proc, url };
}

async function startBare() {
  const proc = startNodeChild(started, 'the bare Fastify route', [join(repoRoot, 'bench', 'bare-webhook-server.mjs')], { WEBHOOK_SECRET, PORT: '0' });
  const [, url] = await proc.waitForLine(/^listening (\S+)$/, 20_000);
  return { ...proc, url };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

let nextUpdateId = FIRST_UPDATE_ID;

/** A `/help` message update with a fresh update_id (≥ 10^12), as test/support/bot.ts builds them. */
function helpUpdate(chatId) {
  const updateId = nextUpdateId++;
  return JSON.stringify({
    update_id: updateId,
    message: {
      message_id: updateId % 1_000_000,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Bench' },
      from: { id: chatId, is_bot: false, first_name: 'Bench' },
      text: '/help',
      entities: [{ type: 'bot_command', offset: 0, length: 5 }],
    },
  });
}

/** autocannon's request list: one POST whose body (a unique update) is built for every request. */
function webhookRequests(nextBody) {
  return [{
    method: 'POST',
    path: '/webhook',
    headers: { 'content-type': 'application/json', [SECRET_HEADER]: WEBHOOK_SECRET },
    setupRequest: (request) => ({ ...request, body: nextBody() }),
  }];
}

const loadChat = (() => {
  let sequence = 0;
  return () => 700_000_000 + (sequence++ % 64);
})();

/** Collects every response of one or more autocannon instances, with the time it completed. */
function responseLog() {
  const log = { samples: [], codes: {}, errors: 0 };
  log.attach = (instance) => {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      log.samples.push({ at: performance.now(), status: statusCode, ms: responseTime });
      log.codes[statusCode] = (log.codes[statusCode] ?? 0) + 1;
    });
    instance.on('reqError', () => {
      log.errors++;
    });
    return instance;
  };
  return log;
}

/** Latency and rate of the responses that completed inside [from, from + seconds). */
function summarise(log, from, seconds) {
  const to = from + seconds * 1000;
  const inWindow = log.samples.filter((sample) => sample.at >= from && sample.at < to);
  const ok = inWindow.filter((sample) => sample.status >= 200 && sample.status < 300);
  const latencies = ok.map((sample) => sample.ms).sort((a, b) => a - b);
  const round = (value) => roundTo(value, 2, null);
  return {
    ok: ok.length,
    non2xx: inWindow.length - ok.length,
    ratePerS: Math.round((ok.length / seconds) * 10) / 10,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? null),
    // Over the whole run, ramp included: what the server saw.
    total: { responses: log.samples.length, ok: log.samples.filter((sample) => sample.status >= 200 && sample.status < 300).length, codes: log.codes, errors: log.errors },
  };
}

/**
 * `rate` requests/s for `seconds` (after a {@link RAMP_S} ramp), spread over {@link SLICES}
 * staggered autocannon instances with overallRate; latency is autocannon's per-request response
 * time of the 2xx answers in the window.
 */
async function fixedRate(url, rate, seconds) {
  const log = responseLog();
  const slices = Math.min(SLICES, rate);
  const begin = performance.now();
  const instances = [];
  let connections = 0;
  for (let slice = 0; slice < slices; slice++) {
    const sliceRate = Math.floor(rate / slices) + (slice < rate % slices ? 1 : 0);
    const sliceConnections = Math.max(1, Math.ceil(sliceRate / BURST));
    connections += sliceConnections;
    await sleep(Math.max(0, begin + (slice * 1000) / slices - performance.now()));
    instances.push(log.attach(autocannon({
      url,
      connections: sliceConnections,
      overallRate: sliceRate,
      // The window ends before the last slice does; the tail is not counted.
      duration: seconds + RAMP_S + 1,
      ignoreCoordinatedOmission: true,
      requests: webhookRequests(() => helpUpdate(loadChat())),
    })));
  }
  await Promise.all(instances);
  return { offered: rate, connections, ...summarise(log, begin + RAMP_S * 1000, seconds) };
}

/** As fast as `connections` keep-alive connections get answers: the maximum sustained rate. */
async function fullSpeed(url, seconds, connections) {
  const log = responseLog();
  const begin = performance.now();
  await log.attach(autocannon({ url, connections, duration: seconds + RAMP_S + 1, requests: webhookRequests(() => helpUpdate(loadChat())) }));
  return { offered: 'max', connections, ...summarise(log, begin + RAMP_S * 1000, seconds) };
}

async function warmUp(url, seconds) {
  await autocannon({ url, connections: 10, overallRate: 200, duration: seconds, requests: webhookRequests(() => helpUpdate(loadChat())) });
}

/** CPU time (user + system, seconds) of a process, from /proc; undefined off Linux. */
const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function processCpuS(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of all cores, from /proc/stat. */
function machineTicks() {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = values[3] + values[4];
    const total = values.reduce((sum, value) => sum + value, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

function busyPct(before, after) {
  if (!before || !after || after.total === before.total) return undefined;
  return Math.round(((after.busy - before.busy) / (after.total - before.total)) * 1000) / 10;
}

/**
 * What the bot's PostgreSQL sessions were doing during a run, sampled every 100 ms from
 * pg_stat_activity: a share per wait event ("CPU" when active without waiting). It tells a
 * webhook held back by commits (WAL flushes, a lock) from one held back by the bot itself.
 */
function sampleWaits(sql) {
  const counts = {};
  let samples = 0;
  let stopped = false;
  let failure;
  const loop = (async () => {
    while (!stopped) {
      const result = await sql.query(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait, count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          GROUP BY 1`,
      );
      samples++;
      for (const row of result.rows) counts[row.wait] = (counts[row.wait] ?? 0) + row.n;
      await sleep(100);
    }
  })().catch((error) => {
    // The run failed and its connection is gone: the run's own error is the one to report.
    failure = error.message;
  });
  return {
    async stop() {
      stopped = true;
      await loop;
      if (failure) return { unavailable: failure };
      // Mean number of sessions in each state per sample, highest first.
      return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([wait, n]) => [wait, roundTo(n / Math.max(1, samples), 2)]));
    },
  };
}

/**
 * One load run against a freshly started target: the bare route, or the bot on a new database
 * (so no run inherits the previous run's backlog).
 */
async function loadRun(kind, rate, context) {
  const { options, serverUrl, apiRoot, loadTruth } = context;
  const name = `${kind} ${rate === 'max' ? 'full speed' : `${rate} req/s`}`;
  let target;
  let sql;
  if (kind === 'bare') {
    target = await startBare();
  } else {
    const databaseUrl = await createDatabase(serverUrl, `load_${rate}`);
    target = await spawnBot(`the bot (${name})`, { databaseUrl, apiRoot, truthFile: loadTruth.file });
    await until(`the bot (${name}) to be ACTIVE`, async () => ((await health(target.url, 500))?.active ? true : undefined), 30_000);
    sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
  }
  try {
    const url = `${target.url}/webhook`;
    await warmUp(url, options.warmupSeconds);
    await sleep(500);
    const firstId = nextUpdateId;
    const cpuBefore = processCpuS(target.child.pid);
    const ticksBefore = machineTicks();
    const waits = sql ? sampleWaits(sql) : undefined;
    const result = rate === 'max' ? await fullSpeed(url, options.seconds, options.connections) : await fixedRate(url, rate, options.seconds);
    const entry = {
      kind,
      name,
      ...result,
      targetCpuS: roundTo(processCpuS(target.child.pid) - cpuBefore, 2),
      machineBusyPct: busyPct(ticksBefore, machineTicks()),
      load: roundTo(loadavg()[0], 2),
    };
    if (kind === 'bot') {
      entry.postgresWaits = await waits.stop();
      const stored = await sql.query('SELECT count(*)::int AS n, count(processed_at)::int AS processed FROM inbox WHERE update_id >= $1::bigint AND update_id < $2::bigint', [firstId, nextUpdateId]);
      entry.stored = stored.rows[0].n;
      entry.processedByEnd = stored.rows[0].processed;
      entry.backlogAtEnd = (await health(target.url, 2000))?.queue?.depth ?? null;
      // Every 2xx must be a stored update: fewer rows than 2xx answers means update_ids repeated
      // (duplicates are answered 200 without a new row) and the run measured the wrong path.
      if (entry.stored < entry.total.ok) entry.problem = `${entry.total.ok} updates acknowledged but only ${entry.stored} stored: update_ids were not unique`;
    }
    if (entry.total.errors > 0 && !entry.problem) entry.note = `${entry.total.errors} connection errors or timeouts`;
    if (!target.alive()) entry.problem = `${target.label} exited during the run:\n${target.output()}`;
    printLoadRow(entry);
    return entry;
  } finally {
    await sql?.end().catch(() => undefined);
    await stopChild(target);
  }
}

/**
 * N updates over `chats` chats as fast as the webhook takes them, timed to the last DISPATCH_OK;
 * after `limitS` seconds the rate so far is kept and the batch is marked incomplete.
 */
async function endToEndBatch(bot, sql, chats, updates, limitS) {
  const firstId = nextUpdateId;
  let sequence = 0;
  const log = responseLog();
  let lastAckAt = 0;
  const begin = performance.now();
  const instance = log.attach(autocannon({ url: `${bot.url}/webhook`, connections: Math.min(16, updates), amount: updates, requests: webhookRequests(() => helpUpdate(810_000_000 + (sequence++ % chats))) }));
  instance.on('response', () => {
    lastAckAt = performance.now();
  });
  await instance;
  const lastId = nextUpdateId;
  const acknowledged = log.samples.filter((sample) => sample.status === 200).length;
  const deadline = begin + limitS * 1000;
  let row;
  for (;;) {
    const result = await sql.query(
      `SELECT count(*) FILTER (WHERE event = 'DISPATCH_OK')::int AS ok, count(*) FILTER (WHERE event = 'DISPATCH_FAIL')::int AS failed
         FROM app_events WHERE event IN ('DISPATCH_OK', 'DISPATCH_FAIL') AND update_id >= $1::bigint AND update_id < $2::bigint`,
      [firstId, lastId],
    );
    row = { ...result.rows[0], at: performance.now() };
    if (row.ok + row.failed >= acknowledged || row.at > deadline) break;
    await sleep(25);
  }
  const totalS = (row.at - begin) / 1000;
  const complete = row.ok + row.failed >= acknowledged;
  const entry = {
    chats,
    updates,
    acknowledged,
    non2xx: log.samples.length - acknowledged,
    dispatchOk: row.ok,
    dispatchFail: row.failed,
    complete,
    ackS: roundTo((lastAckAt - begin) / 1000, 2),
    totalS: roundTo(totalS, 2),
    updatesPerS: roundTo(row.ok / totalS, 1),
    load: roundTo(loadavg()[0], 2),
  };
  if (!complete) entry.note = `only ${row.ok + row.failed} of ${acknowledged} processed within the ${limitS} s limit: updates/s is the rate until then`;
  if (acknowledged !== updates) entry.problem = `${updates - acknowledged} of ${updates} updates were not acknowledged with 200 (${JSON.stringify(log.codes)})`;
  else if (row.failed > 0) entry.problem = `${row.failed} DISPATCH_FAIL`;
  return entry;
}

/**
 * One bot on a fresh database per chat count: a batch cut short by its time limit leaves a
 * backlog that would otherwise hold up the next batch's lanes.
 */
async function endToEnd(context) {
  const { options, serverUrl, apiRoot, loadTruth } = context;
  const batches = [];
  for (const chats of [1, 4, 16]) {
    const label = `the bot (end to end, ${chats} chat${chats === 1 ? '' : 's'})`;
    const databaseUrl = await createDatabase(serverUrl, `end_to_end_${chats}`);
    const bot = await spawnBot(label, { databaseUrl, apiRoot, truthFile: loadTruth.file });
    const sql = new pg.Client({ connectionString: databaseUrl });
    try {
      await until(`${label} to be ACTIVE`, async () => ((await health(bot.url, 500))?.active ? true : undefined), 30_000);
      await sql.connect();
      // Not reported: the first updates pay for JIT compilation, grammY's getMe and the pools filling.
      const warmUp = await endToEndBatch(bot, sql, 16, 64, 60);
      if (!warmUp.complete || warmUp.problem) throw new Error(`${label}: the warm-up batch did not go through: ${warmUp.problem ?? warmUp.note}\n${bot.output()}`);
      const entry = await endToEndBatch(bot, sql, chats, options.updates, options.endToEndLimitS);
      if (!bot.alive()) entry.problem = `${label} exited during the batch:\n${bot.output()}`;
      process.stdout.write(`  ${`${chats} chat${chats === 1 ? '' : 's'}`.padEnd(10)} ${String(entry.dispatchOk).padStart(5)} DISPATCH_OK in ${formatS(entry.totalS)} (acknowledged in ${formatS(entry.ackS)}): ${entry.updatesPerS} updates/s${entry.note ? ` — ${entry.note}` : ''}${entry.problem ? `  INVALID: ${entry.problem}` : ''}\n`);
      batches.push(entry);
    } finally {
      await sql.end().catch(() => undefined);
      await stopChild(bot);
    }
  }
  return batches;
}

/**
 * Two bots on one database; each round stops the ACTIVE with `signal` and times, polling every
 * {@link HEALTH_POLL_MS} ms, until the other answers /health with active: true. The stopped one is
 * replaced by a fresh standby before the next round.
 */
async function failover(context) {
  const { options, serverUrl, apiRoot, failoverTruth } = context;
  const databaseUrl = await createDatabase(serverUrl, 'failover');
  let count = 0;
  const spawnStandby = () => spawnBot(`bot #${++count} (failover)`, { databaseUrl, apiRoot, truthFile: failoverTruth.file });
  let bots = [await spawnStandby(), await spawnStandby()];
  const results = {};
  try {
    for (const signal of ['SIGKILL', 'SIGTERM']) {
      const samples = [];
      for (let round = 0; round < options.rounds; round++) {
        const [leader, standby] = await until('exactly one ACTIVE of the two bots', async () => {
          const states = await Promise.all(bots.map((bot) => health(bot.url, 500)));
          if (states.filter((state) => state?.active).length !== 1) return undefined;
          const index = states.findIndex((state) => state.active);
          return states[1 - index]?.lock_state === 'PASSIVE' ? [bots[index], bots[1 - index]] : undefined;
        }, 30_000);
        // The new standby's LISTEN and first lock attempt happen after its server answers; a random
        // extra delay keeps the kill from falling at the same point of its 1 s retry cycle every round.
        await sleep(1000 + Math.round(Math.random() * 1000));
        let exitedAt;
        leader.exited.then(() => {
          exitedAt = performance.now();
        });
        const begin = performance.now();
        leader.child.kill(signal);
        let polls = 0;
        const takeoverMs = await until(`the standby to become ACTIVE after ${signal}`, async () => {
          polls++;
          return (await health(standby.url, 1000))?.active ? performance.now() - begin : undefined;
        }, 30_000, HEALTH_POLL_MS).catch((error) => ({ error: error.message }));
        // After SIGTERM the old ACTIVE finishes its graceful stop on its own (SIGKILL only if it hangs).
        const exit = await exitWithin(leader, 20_000);
        const exitMs = (exitedAt ?? performance.now()) - begin;
        const sample = typeof takeoverMs === 'number'
          ? { ms: Math.round(takeoverMs), polls, exitMs: Math.round(exitMs), exit: exit.signal ?? exit.code, load: roundTo(loadavg()[0], 2) }
          : { ms: null, problem: takeoverMs.error, exit: exit.signal ?? exit.code };
        samples.push(sample);
        process.stdout.write(`  ${signal.padEnd(8)} round ${round + 1}: ${sample.ms === null ? `FAILED (${sample.problem})` : `ACTIVE after ${sample.ms} ms`}${signal === 'SIGTERM' ? `, old ACTIVE exited after ${sample.exitMs} ms (${sample.exit})` : ''}\n`);
        bots = [standby, await spawnStandby()];
      }
      const times = samples.map((sample) => sample.ms).filter((ms) => ms !== null);
      results[signal] = {
        rounds: samples.length,
        medianMs: times.length === samples.length ? median(times) : null,
        minMs: times.length ? Math.min(...times) : null,
        maxMs: times.length ? Math.max(...times) : null,
        samples,
        ...(times.length === samples.length ? {} : { problem: `${samples.length - times.length} round(s) without a takeover within 30 s` }),
      };
    }
  } finally {
    await Promise.all(bots.map((bot) => stopChild(bot)));
  }
  return results;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
}

// Two decimals under 10 ms: a webhook acknowledgement on loopback takes a few milliseconds.
const formatMs = msFormatter(2);

function formatS(seconds) {
  return `${seconds.toFixed(2)} s`;
}

function printLoadRow(entry) {
  const waits = entry.postgresWaits ? `  PostgreSQL sessions: ${Object.entries(entry.postgresWaits).slice(0, 3).map(([wait, n]) => `${wait} ${n}`).join(', ')}` : '';
  process.stdout.write(`  ${entry.name.padEnd(22)} ${`${entry.ratePerS}/s`.padStart(10)}  p50 ${formatMs(entry.p50Ms).padStart(8)}  p99 ${formatMs(entry.p99Ms).padStart(8)}  non-2xx ${entry.non2xx}${entry.backlogAtEnd === undefined ? '' : `  backlog ${entry.backlogAtEnd}`}  load ${entry.load}${waits}${entry.note ? `  (${entry.note})` : ''}${entry.problem ? `  INVALID: ${entry.problem}` : ''}\n`);
}

// ---------------------------------------------------------------------------------------------
// The report.

function ratio(value, baseline, digits = 2) {
  if (value === null || value === undefined || !baseline) return null;
  return roundTo(value / baseline, digits);
}

function comparisons(load) {
  const rows = [];
  for (const rate of [...FIXED_RATES, 'max']) {
    const bare = load.find((entry) => entry.kind === 'bare' && entry.offered === rate);
    const bot = load.find((entry) => entry.kind === 'bot' && entry.offered === rate);
    if (!bare || !bot) continue;
    rows.push({ offered: rate, p50VsBare: ratio(bot.p50Ms, bare.p50Ms), p99VsBare: ratio(bot.p99Ms, bare.p99Ms), rateVsBare: ratio(bot.ratePerS, bare.ratePerS, 3) });
  }
  return rows;
}

function verdicts(report) {
  const list = [];
  const add = (...args) => list.push(verdict(...args));
  const botAt = report.load.find((entry) => entry.kind === 'bot' && entry.offered === TARGETS.p99AtRate);
  if (botAt) {
    // A p99 at a lower rate than offered, or over fewer acknowledgements, does not answer the question.
    const short = botAt.ratePerS < TARGETS.p99AtRate * 0.97 || botAt.non2xx > 0;
    add(
      `webhook p99 < ${TARGETS.p99Ms} ms at ${TARGETS.p99AtRate.toLocaleString('en-US')} req/s`,
      formatMs(botAt.p99Ms),
      `${TARGETS.p99Ms} ms`,
      botAt.problem ? undefined : !short && botAt.p99Ms < TARGETS.p99Ms,
      short ? `the bot answered ${botAt.ratePerS} 2xx/s (${botAt.non2xx} non-2xx) of the ${TARGETS.p99AtRate} offered` : undefined,
    );
  }
  const max = report.comparisons.find((row) => row.offered === 'max');
  const botMax = report.load.find((entry) => entry.kind === 'bot' && entry.offered === 'max');
  if (max && botMax) {
    add(`sustained rate ≥ ${TARGETS.sustainedVsBare * 100}% of the bare route's`, `${(max.rateVsBare * 100).toFixed(1)}% (${botMax.ratePerS}/s)`, `${TARGETS.sustainedVsBare * 100}%`, botMax.problem ? undefined : max.rateVsBare >= TARGETS.sustainedVsBare);
  }
  const sigterm = report.failover?.SIGTERM;
  if (sigterm) {
    add(`SIGTERM takeover ≤ ${formatMs(TARGETS.sigtermTakeoverMs)} (median of ${sigterm.rounds})`, formatMs(sigterm.medianMs), formatMs(TARGETS.sigtermTakeoverMs), sigterm.medianMs === null ? false : sigterm.medianMs <= TARGETS.sigtermTakeoverMs, sigterm.problem);
  }
  const invalid = [
    ...report.load.filter((entry) => entry.problem).map((entry) => ({ name: entry.name, problem: entry.problem })),
    ...(report.endToEnd ?? []).filter((entry) => entry.problem).map((entry) => ({ name: `end to end, ${entry.chats} chat(s)`, problem: entry.problem })),
    ...(report.failover?.SIGKILL?.problem ? [{ name: 'kill -9 failover', problem: report.failover.SIGKILL.problem }] : []),
  ];
  for (const { name, problem } of invalid) list.push({ target: `${name} run is valid`, actual: problem, limit: 'a clean run', verdict: 'INVALID' });
  return list;
}

function printReport(report) {
  const times = (value) => (value === null || value === undefined ? '' : `${value.toFixed(2)}×`);
  const lines = ['', 'Webhook acknowledgement (autocannon in the bench process; latency and rate of the 2xx answers in the measured window)', ''];
  lines.push(...table(
    ['run', 'offered', '2xx/s', 'non-2xx', 'p50', 'p99', 'max', 'p50 vs bare', 'p99 vs bare', 'rate vs bare', 'target cpu', 'machine busy', 'load'],
    report.load.map((entry) => {
      const comparison = entry.kind === 'bot' ? report.comparisons.find((row) => row.offered === entry.offered) : undefined;
      return [
        entry.name, entry.offered === 'max' ? `${entry.connections} conn` : `${entry.offered}/s`, entry.ratePerS.toFixed(1), String(entry.non2xx),
        formatMs(entry.p50Ms), formatMs(entry.p99Ms), formatMs(entry.maxMs),
        times(comparison?.p50VsBare), times(comparison?.p99VsBare), times(comparison?.rateVsBare),
        entry.targetCpuS === undefined ? '' : `${entry.targetCpuS.toFixed(1)} s`, entry.machineBusyPct === undefined ? '' : `${entry.machineBusyPct}%`, entry.load.toFixed(2),
      ];
    }),
  ));
  lines.push('', `The bot ran with queue.capacity ${LOAD_QUEUE_CAPACITY.toLocaleString('en-US')} (product/truth.yaml: ${report.setup.productQueueCapacity.toLocaleString('en-US')}) so that backpressure (503) does not cut the full-speed run short; each run had a fresh process (the bot: a fresh database).`);
  if (report.endToEnd) {
    lines.push('', 'End to end: webhook → DISPATCH_OK (16 connections posting; timed from the first post to the last DISPATCH_OK)', '');
    lines.push(...table(
      ['chats', 'updates', 'acknowledged in', 'DISPATCH_OK', 'in', 'updates/s', 'DISPATCH_FAIL', 'load'],
      report.endToEnd.map((entry) => [String(entry.chats), String(entry.updates), formatS(entry.ackS), `${entry.dispatchOk}${entry.complete ? '' : ' (limit)'}`, formatS(entry.totalS), entry.updatesPerS.toFixed(1), String(entry.dispatchFail), entry.load.toFixed(2)]),
    ));
    for (const entry of report.endToEnd.filter((batch) => batch.note)) lines.push(`${entry.chats} chat(s): ${entry.note}.`);
    lines.push('', `queue.workers ${report.setup.workers}: one chat's updates run in order, chats run concurrently.`);
  }
  if (report.failover) {
    lines.push('', `Failover (two bots, heartbeat_interval_s ${report.setup.failoverDatabase.heartbeat_interval_s}, stale_heartbeat_s ${report.setup.failoverDatabase.stale_heartbeat_s}: only the freed lock explains a takeover; /health polled every ${HEALTH_POLL_MS} ms)`, '');
    lines.push(...table(
      ['stop of the ACTIVE', 'median', 'min', 'max', 'samples'],
      Object.entries(report.failover).map(([signal, entry]) => [signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM', formatMs(entry.medianMs), formatMs(entry.minMs), formatMs(entry.maxMs), entry.samples.map((sample) => (sample.ms === null ? 'failed' : `${sample.ms}`)).join(', ')]),
    ));
  }
  lines.push('', 'Targets', '', ...report.verdicts.map((entry) => verdictLine(entry)));
  if (report.failover?.SIGKILL) lines.push(`  INFO    kill -9 takeover (median of ${report.failover.SIGKILL.rounds}): ${formatMs(report.failover.SIGKILL.medianMs)} (no target; the standby retries the lock every second, and the kill falls at a random point of that cycle)`);
  lines.push('', outcomeLine(report.verdicts));
  const { machine } = report;
  lines.push(loadAverageLine(machine, 'the bot, PostgreSQL, the emulator, autocannon and the baseline share them'));
  if (Math.max(machine.loadAverageAtStart, ...report.load.map((entry) => entry.loadBefore ?? 0)) > machine.cpus) lines.push(busyMachineNote(machine.cpus, ' before a run'));
  if (report.options.quick) lines.push('--quick: short runs, indicative only.');
  printReportLines(lines, report.outFile);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  requireBuilt([dist('bot', 'main.js'), dist('bot', 'db', 'embedded.js'), dist('emulators', 'telegram', 'server.js')], 'bench:bot');
  const { version, machine } = announce('bot', { quick: options.quick });

  const began = performance.now();
  try {
    const { folder: root, server: postgres } = await startPostgres(started, 'trt-bench-bot-');
    const emulator = await startEmulator();
    const settings = await withClient(postgres.url, (client) => postgresSettings(client, SETTINGS));
    const productTruth = parse(readFileSync(join(repoRoot, 'product', 'truth.yaml'), 'utf8'));
    const context = {
      options,
      serverUrl: postgres.url,
      apiRoot: emulator.apiRoot,
      loadTruth: writeTruth(root, 'load', { queue: { capacity: LOAD_QUEUE_CAPACITY } }),
      failoverTruth: writeTruth(root, 'failover', { database: { heartbeat_interval_s: 1, stale_heartbeat_s: 60 } }),
    };
    process.stdout.write(`PostgreSQL ${settings.server_version} (embedded, 127.0.0.1:${postgres.port}; fsync ${settings.fsync}, synchronous_commit ${settings.synchronous_commit}), Telegram emulator ${emulator.apiRoot}\n`);

    process.stdout.write(`\nWebhook acknowledgement: ${options.seconds} s per run after a ${options.warmupSeconds} s warm-up, bare route and bot alternated\n`);
    const load = [];
    for (const rate of [...FIXED_RATES, 'max']) {
      for (const kind of ['bare', 'bot']) {
        const loadBefore = roundTo(loadavg()[0], 2);
        load.push({ ...(await loadRun(kind, rate, context)), loadBefore });
      }
    }

    process.stdout.write(`\nEnd to end: ${options.updates} /help updates per batch\n`);
    const endToEndResults = await endToEnd(context);

    process.stdout.write(`\nFailover: ${options.rounds} rounds per signal\n`);
    const failoverResults = await failover(context);

    const report = {
      generatedAt: new Date().toISOString(),
      trtVersion: version,
      options: { quick: options.quick, seconds: options.seconds, warmupSeconds: options.warmupSeconds, updates: options.updates, rounds: options.rounds, connections: options.connections },
      machine: { ...machine, loadAverageAtEnd: loadavg()[0] },
      setup: {
        postgres: settings,
        loadQueueCapacity: LOAD_QUEUE_CAPACITY,
        productQueueCapacity: productTruth.queue?.capacity ?? 10000,
        workers: context.loadTruth.queue.workers ?? 4,
        failoverDatabase: context.failoverTruth.database,
      },
      method: {
        client: 'autocannon in the bench process; targets are child processes; loopback',
        fixedRates: `overallRate split over ${SLICES} autocannon instances started 1/${SLICES} s apart, at most ${BURST} requests per connection per second; latency = autocannon's response time per request (from the write of the request), 2xx only; the first ${RAMP_S} s is not counted`,
        fullSpeed: 'no rate limit, --connections keep-alive connections; sustained rate = 2xx answers per second in the measured window',
        endToEnd: `a fresh bot and database per chat count, a 64-update warm-up, then the batch; time from the first POST to the moment every acknowledged update has DISPATCH_OK (or DISPATCH_FAIL) in app_events, polled every 25 ms, at most ${options.endToEndLimitS} s (then the rate so far)`,
        failover: `time from kill(2) of the ACTIVE to the first /health of the other with active: true, polled every ${HEALTH_POLL_MS} ms; a fresh standby each round`,
      },
      targets: TARGETS,
      load,
      comparisons: comparisons(load),
      endToEnd: endToEndResults,
      failover: failoverResults,
      totalMs: Math.round(performance.now() - began),
      outFile: options.out,
    };
    report.verdicts = verdicts(report);
    writeArtifact(options.out, report);
    printReport(report);
  } finally {
    await cleanUp();
  }
}

runBench(main, cleanUp);
