#!/usr/bin/env node
/**
 * `npm run bench:smoke`: how long `trt smoke` takes and what its HTTP client costs (issue 5's
 * benchmark), against the real bot on this machine (SPEC §11: targets are benchmarks, never
 * timed unit tests). See bench/README.md for the method and the targets.
 *
 * Set-up: an embedded PostgreSQL in a temporary folder, the Telegram and KIE emulators (one child
 * process of their own, so this process runs nothing but the smoke client and its CPU time is the
 * client's), an ACTIVE bot and then a PASSIVE one (`node dist/bot/main.js`, child processes).
 *   whole run     --runs runs of runSmoke (dist/cli/smoke/runner.js) with --passive-url,
 *                 --allow-mutations and --spawn (a third bot): S0–S8 in turn; wall time, each
 *                 scenario's duration, its time awaiting HTTP answers and this process's CPU time
 *   client cost   --requests GET /health on the ACTIVE through the smoke HttpClient and through a
 *                 bare undici.request with its own keep-alive Agent, one at a time, alternated in
 *                 blocks; p50/p99 per request and the difference
 *   unreachable   runSmoke against a closed port on 127.0.0.1 and addresses routed nowhere
 *                 (10.255.255.1, the IPv6 discard prefix; each left out when the network answers
 *                 it): every scenario S0–S7 fails with a connection reason, in how long
 *
 * Flags: --quick (2 runs, 300 requests: a smoke check of the bench) | --runs N | --requests N |
 * --out FILE. Flags given next to --quick win over its sizes.
 * Exits 0 even when a target is missed: it is a report, MISSED lines say what failed.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Agent, request as undiciRequest } from 'undici';
import {
  BENCH_SECRETS, announce, busyMachineNote, createDatabase, createStarted, dist, health, freePort, importDist, loadAverageLine, median, msFormatter, outcomeLine, parseFlags, percentile,
  printReportLines, repoRoot, requireBuilt, roundTo, runBench, startNodeChild, startPostgres, stopOnSignals, table, until, verdict, verdictLine, wholeNumber, writeArtifact,
} from './lib.mjs';

const TOKEN = BENCH_SECRETS.token;
const WEBHOOK_SECRET = BENCH_SECRETS.webhook;
const ADMIN_SECRET = BENCH_SECRETS.admin;
const KIE_KEY = BENCH_SECRETS.kie;

const TARGETS = {
  /** Median wall time of a whole S0–S8 run against the local bots. */
  wholeRunMs: 10_000,
  /** The smoke client's extra time per request over a bare undici request: this share of the bare p50 … */
  overheadShare: 0.1,
  /** … or this many milliseconds, whichever is larger. */
  overheadFloorMs: 0.2,
  /** An unreachable URL: every scenario fails, all of them within this. */
  unreachableMs: 10_000,
};

/** The client-cost requests are alternated in this many blocks per client, so drift hits both alike. */
const BLOCKS = 10;
/**
 * Addresses where nothing should answer: the connect timeout decides, unless the network refuses
 * at once. Some networks answer every IPv4 address themselves (an intercepting proxy); the IPv6
 * discard prefix (RFC 6666) is routed nowhere, so at least one of the two shows the timeout path.
 */
const NON_ROUTABLE = [
  { name: 'non-routable', url: 'http://10.255.255.1:81' },
  { name: 'IPv6 discard prefix', url: 'http://[100::1]:81' },
];
/** What a scenario's reason says when the service could not be reached (HttpClient: "cannot connect: …", "… is not reachable (…)"). */
const CONNECTION_REASON = /connect|not reachable/i;
const ERROR_CODE = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/;

function parseArguments(argv) {
  const explicit = {};
  const options = { quick: false, runs: 5, requests: 2000, out: join(repoRoot, 'artifacts', 'bench-smoke.json') };
  parseFlags(argv, 'smoke-bench.mjs', (flag, value) => {
    if (flag === '--quick') options.quick = true;
    else if (flag === '--runs') explicit.runs = options.runs = wholeNumber(flag, value(), 1);
    else if (flag === '--requests') explicit.requests = options.requests = wholeNumber(flag, value(), 2 * BLOCKS);
    else if (flag === '--out') options.out = resolve(value());
    else return false;
  });
  if (options.quick) Object.assign(options, { runs: 2, requests: 300 }, explicit);
  return options;
}

// A scenario lasts milliseconds to seconds; one decimal is enough under 10 ms.
const formatMs = msFormatter(1);
const formatUs = (ms) => (ms === null || ms === undefined ? '-' : `${Math.round(ms * 1000)} µs`);
const round = (value, digits = 1) => roundTo(value, digits, null);

// ---------------------------------------------------------------------------------------------
// Set-up: PostgreSQL, the emulators, the two bots.

/** What is running, so a failed run still stops it. */
const started = createStarted();
const cleanUp = () => started.stopAll();
stopOnSignals(started, 'the bots, the emulators and PostgreSQL');

/** Both emulators in one child process: their work for the bots must not show up as the smoke client's CPU time. */
async function startEmulators() {
  const href = (...parts) => JSON.stringify(pathToFileURL(dist('emulators', ...parts)).href);
  const script = `
    const { TelegramEmulator } = await import(${href('telegram', 'server.js')});
    const { KieEmulator } = await import(${href('kie', 'server.js')});
    const telegram = await TelegramEmulator.start({ token: process.env.TELEGRAM_BOT_TOKEN });
    const kie = await KieEmulator.start({ apiKey: process.env.KIE_API_KEY });
    process.stdout.write('telegram ' + telegram.apiRoot + ' kie ' + kie.apiRoot + '\\n');
    const stop = () => Promise.all([telegram.stop(), kie.stop()]).finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);`;
  const proc = startNodeChild(started, 'the Telegram and KIE emulators', ['--input-type=module', '-e', script], { TELEGRAM_BOT_TOKEN: TOKEN, KIE_API_KEY: KIE_KEY });
  const [, telegramApiRoot, kieApiRoot] = await proc.waitForLine(/^telegram (\S+) kie (\S+)$/, 20_000);
  return { telegramApiRoot, kieApiRoot };
}

/** What a bot needs, as test/support/bot.ts botEnvironment() gives it, without PORT (each instance gets its own). */
function botEnvironment({ databaseUrl, telegramApiRoot, kieApiRoot }) {
  return {
    TELEGRAM_BOT_TOKEN: TOKEN,
    WEBHOOK_SECRET,
    ADMIN_SECRET,
    DATABASE_URL: databaseUrl,
    TELEGRAM_API_ROOT: telegramApiRoot,
    TRUTH_FILE: join(repoRoot, 'product', 'truth.yaml'),
    HOST: '127.0.0.1',
    KIE_API_ROOT: kieApiRoot,
    KIE_API_KEY: KIE_KEY,
    LOG_LEVEL: process.env.TRT_BENCH_LOG_LEVEL ?? 'warn',
  };
}

/** `node dist/bot/main.js` on a free port, PUBLIC_URL its own unless given; resolves once /health says it is in `lockState`. */
async function startBot(label, env, lockState, publicUrl) {
  const port = await freePort();
  const proc = startNodeChild(started, label, [dist('bot', 'main.js')], { ...env, PORT: String(port), PUBLIC_URL: publicUrl ?? `http://127.0.0.1:${port}` });
  const url = `http://127.0.0.1:${port}`;
  await until(`${label} to answer ${url}/health with lock_state ${lockState}`, async () => {
    if (!proc.alive()) throw new Error(`${label} exited before answering /health:\n${proc.output()}`);
    return (await health(url, 1000))?.lock_state === lockState ? true : undefined;
  }, 60_000, 100);
  return { ...proc, url };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/**
 * Time with at least one HttpClient.send in flight, and the sends made: the bench wraps the
 * method of the class runSmoke uses (the same module instance) for the duration of a run, so
 * waiting for the services' answers can be told from everything else. Overlapping sends (S6
 * posts concurrently) count once.
 */
function timeSends(HttpClient) {
  const send = HttpClient.prototype.send;
  let inFlight = 0;
  let since = 0;
  let awaitedMs = 0;
  let sends = 0;
  HttpClient.prototype.send = async function timedSend(request) {
    if (inFlight++ === 0) since = performance.now();
    sends++;
    try {
      return await send.call(this, request);
    } finally {
      if (--inFlight === 0) awaitedMs += performance.now() - since;
    }
  };
  return {
    read: () => ({ awaitedMs: awaitedMs + (inFlight > 0 ? performance.now() - since : 0), sends }),
    restore: () => {
      HttpClient.prototype.send = send;
    },
  };
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** One runSmoke against the local bots, each scenario with its time awaiting answers and this process's CPU time. */
async function wholeRun(index, settings, smoke) {
  const sends = timeSends(smoke.HttpClient);
  const marks = new Map();
  const perScenario = new Map();
  const hooks = {
    onStart: (scenario) => marks.set(scenario.id, { ...sends.read(), cpuMs: cpuMs() }),
    onEnd: (result) => {
      const mark = marks.get(result.id);
      const now = sends.read();
      perScenario.set(result.id, { awaitedMs: now.awaitedMs - mark.awaitedMs, sends: now.sends - mark.sends, cpuMs: cpuMs() - mark.cpuMs });
    },
  };
  const cpuBefore = cpuMs();
  const began = performance.now();
  let report;
  try {
    report = await smoke.runSmoke(settings, hooks);
  } finally {
    sends.restore();
  }
  const wallMs = performance.now() - began;
  const cpu = cpuMs() - cpuBefore;
  const scenarios = report.scenarios.map((result) => {
    const own = perScenario.get(result.id) ?? { awaitedMs: 0, sends: 0, cpuMs: 0 };
    const coldStart = result.id === 'S8' ? { coldStartMs: result.evidence.cold_start_ms ?? null, stopMs: result.evidence.stopped?.stop_ms ?? null } : {};
    return { id: result.id, title: result.title, status: result.status, reason: result.reason, durationMs: result.durationMs, awaitedMs: round(own.awaitedMs), sends: own.sends, cpuMs: round(own.cpuMs), ...coldStart };
  });
  const failures = scenarios.filter((scenario) => scenario.status !== 'pass').map((scenario) => `${scenario.id} ${scenario.status}: ${scenario.reason}`);
  const s8 = scenarios.find((scenario) => scenario.id === 'S8');
  const others = scenarios.filter((scenario) => scenario.id !== 'S8');
  const sum = (list, key) => list.reduce((total, scenario) => total + (scenario[key] ?? 0), 0);
  const run = {
    run: index + 1,
    wallMs: round(wallMs),
    reportDurationMs: report.durationMs,
    valid: failures.length === 0,
    failures,
    clientCpuMs: round(cpu),
    sends: sum(scenarios, 'sends'),
    breakdown: {
      s8Ms: s8?.durationMs ?? 0,
      s8ColdStartMs: s8?.coldStartMs ?? null,
      s8StopMs: s8?.stopMs ?? null,
      othersAwaitingMs: round(sum(others, 'awaitedMs')),
      othersBetweenMs: round(sum(others, 'durationMs') - sum(others, 'awaitedMs')),
      runnerMs: round(wallMs - sum(scenarios, 'durationMs')),
    },
    scenarios,
    results: report.scenarios,
    load: roundTo(loadavg()[0], 2),
  };
  process.stdout.write(`  run ${run.run}: ${formatMs(run.wallMs)}, ${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.skipped} skipped; client CPU ${formatMs(run.clientCpuMs)}${run.valid ? '' : ' — INVALID'}\n`);
  for (const failure of failures) process.stdout.write(`    ${failure}\n`);
  return run;
}

function summariseScenarios(runs) {
  const ids = runs[0]?.scenarios.map((scenario) => scenario.id) ?? [];
  return ids.map((id) => {
    const samples = runs.map((run) => run.scenarios.find((scenario) => scenario.id === id)).filter(Boolean);
    const of = (key) => median(samples.map((scenario) => scenario[key]).filter((value) => typeof value === 'number'));
    return {
      id,
      title: samples[0].title,
      passed: samples.filter((scenario) => scenario.status === 'pass').length,
      runs: samples.length,
      medianMs: of('durationMs'),
      minMs: Math.min(...samples.map((scenario) => scenario.durationMs)),
      maxMs: Math.max(...samples.map((scenario) => scenario.durationMs)),
      awaitedMs: round(of('awaitedMs')),
      cpuMs: round(of('cpuMs')),
      sends: of('sends'),
      ...(id === 'S8' ? { coldStartMs: round(of('coldStartMs')), stopMs: round(of('stopMs')) } : {}),
    };
  });
}

/**
 * GET /health, one at a time, through the smoke HttpClient and through a bare undici.request on
 * its own keep-alive Agent; the two alternate in blocks (the order swapped every block), after an
 * untimed warm-up of each. Each request is timed from the call to the end of its body.
 */
async function clientCost(url, requests, HttpClient) {
  const target = `${url}/health`;
  const client = new HttpClient({ maxRequests: Number.MAX_SAFE_INTEGER, budgetedOrigins: [url] });
  const agent = new Agent();
  const clients = {
    smoke: async () => (await client.send({ method: 'GET', url: target })).status,
    bare: async () => {
      const response = await undiciRequest(target, { dispatcher: agent });
      await response.body.text();
      return response.statusCode;
    },
  };
  const samples = { smoke: [], bare: [] };
  const blocks = { smoke: [], bare: [] };
  const non200 = { smoke: 0, bare: 0 };
  const timeBlock = async (name, count, keep) => {
    const times = [];
    for (let index = 0; index < count; index++) {
      const begin = performance.now();
      const status = await clients[name]();
      const ms = performance.now() - begin;
      if (!keep) continue;
      times.push(ms);
      if (status !== 200) non200[name]++;
    }
    return times;
  };
  try {
    const warmup = Math.min(100, Math.ceil(requests / BLOCKS));
    for (const name of ['smoke', 'bare']) await timeBlock(name, warmup, false);
    const perBlock = Math.ceil(requests / BLOCKS);
    for (let block = 0; block < BLOCKS; block++) {
      for (const name of block % 2 === 0 ? ['smoke', 'bare'] : ['bare', 'smoke']) {
        const times = await timeBlock(name, perBlock, true);
        samples[name].push(...times);
        blocks[name].push(percentile([...times].sort((a, b) => a - b), 50));
      }
    }
  } finally {
    await client.close();
    await agent.close();
  }
  const stats = (name) => {
    const sorted = [...samples[name]].sort((a, b) => a - b);
    return {
      requests: sorted.length,
      non200: non200[name],
      p50Ms: roundTo(percentile(sorted, 50), 4, null),
      p99Ms: roundTo(percentile(sorted, 99), 4, null),
      meanMs: roundTo(sorted.reduce((total, ms) => total + ms, 0) / sorted.length, 4, null),
      blockP50Ms: blocks[name].map((ms) => roundTo(ms, 4, null)),
      samplesMs: samples[name].map((ms) => roundTo(ms, 4, null)),
    };
  };
  const smoke = stats('smoke');
  const bare = stats('bare');
  const blockDifferences = blocks.smoke.map((ms, index) => ms - blocks.bare[index]);
  return {
    blocks: BLOCKS,
    smoke,
    bare,
    overheadP50Ms: roundTo(smoke.p50Ms - bare.p50Ms, 4, null),
    overheadP99Ms: roundTo(smoke.p99Ms - bare.p99Ms, 4, null),
    ratioP50: roundTo(smoke.p50Ms / bare.p50Ms, 3, null),
    medianBlockOverheadMs: roundTo(median(blockDifferences), 4, null),
    limitMs: roundTo(Math.max(TARGETS.overheadShare * bare.p50Ms, TARGETS.overheadFloorMs), 4, null),
  };
}

/** The error code of an undici failure: its own, or its cause's. */
function errorCode(error) {
  return error?.code ?? error?.cause?.code ?? error?.name ?? 'UNKNOWN';
}

/**
 * Whether anything answers at `url` at all, asked with a bare GET / before smoke sends it anything
 * (its requests carry the secrets): a network that intercepts every address makes it no
 * unreachable URL. The same connect timeout as the smoke client's.
 */
async function probe(url) {
  const agent = new Agent({ connect: { timeout: 2000 } });
  const begin = performance.now();
  try {
    const response = await undiciRequest(`${url}/`, { dispatcher: agent, signal: AbortSignal.timeout(5000) });
    await response.body.text();
    return { answered: true, status: response.statusCode, server: response.headers.server ?? null, ms: round(performance.now() - begin) };
  } catch (error) {
    return { answered: false, code: errorCode(error), ms: round(performance.now() - begin) };
  } finally {
    await agent.destroy();
  }
}

/** runSmoke against a URL where nothing answers, both --url and --passive-url, no --spawn: how every scenario fails, and how fast. */
async function unreachable(name, url, smoke) {
  const seen = await probe(url);
  if (seen.answered) {
    const skipped = `answered a bare GET / with HTTP ${seen.status}${seen.server ? ` (server: ${seen.server})` : ''} in ${formatMs(seen.ms)}: this machine's network reaches it, so it cannot stand for an unreachable URL here; smoke was not run against it`;
    process.stdout.write(`  ${name} (${url}): ${skipped}\n`);
    return { name, url, probe: seen, skipped };
  }
  const settings = smoke.resolveSmokeSettings(smoke.truth, { url, passiveUrl: url, allowMutations: true }, repoRoot, { WEBHOOK_SECRET, ADMIN_SECRET });
  const began = performance.now();
  const report = await smoke.runSmoke(settings);
  const wallMs = performance.now() - began;
  const scenarios = report.scenarios.map((result) => ({ id: result.id, status: result.status, reason: result.reason, durationMs: result.durationMs, connectionReason: CONNECTION_REASON.test(result.reason) }));
  const expected = scenarios.filter((scenario) => scenario.id !== 'S8');
  const first = report.scenarios[0];
  const code = ERROR_CODE.exec(first?.reason ?? '')?.[1] ?? null;
  const retried = first?.evidence?.retried ?? first?.evidence?.network_retries ?? [];
  const result = {
    name,
    url,
    probe: seen,
    wallMs: round(wallMs),
    failedWithConnectionReason: expected.filter((scenario) => scenario.status === 'fail' && scenario.connectionReason).length,
    expected: expected.length,
    s8: scenarios.find((scenario) => scenario.id === 'S8')?.status ?? 'not run',
    code,
    firstScenarioMs: first?.durationMs ?? null,
    laterScenariosMs: expected.slice(1).reduce((total, scenario) => total + scenario.durationMs, 0),
    firstScenarioRetries: retried,
    attempts: [...retried, first?.reason ?? ''].map((text) => ERROR_CODE.exec(text)?.[1]).filter(Boolean),
    scenarios,
  };
  process.stdout.write(`  ${name} (${url}): ${formatMs(result.wallMs)}; ${result.failedWithConnectionReason}/${result.expected} of S0–S7 failed with a connection reason (${code ?? 'no error code in the reason'}); S8 ${result.s8}\n`);
  return result;
}

/** How the first request to an unreachable URL failed, attempt by attempt: the connect timeout, or a refusal (at once or after a wait of the network's own). */
function unreachablePath(entry) {
  if (entry.skipped) return entry.skipped;
  const timedOut = entry.attempts.filter((code) => code === 'UND_ERR_CONNECT_TIMEOUT').length;
  const refusals = [...new Set(entry.attempts.filter((code) => code !== 'UND_ERR_CONNECT_TIMEOUT'))];
  const how = timedOut === 0
    ? `each ended in ${refusals.join(', ')} before the client's connect timeout`
    : refusals.length === 0
      ? 'no answer: the client\'s connect timeout ran out every time'
      : `the client's connect timeout ran out on ${timedOut} attempt(s), the network reported ${refusals.join(', ')} on the others`;
  return `S0's ${entry.attempts.length} attempt(s) ${entry.attempts.join(' → ')} took ${formatMs(entry.firstScenarioMs)} (${how}); S1–S7 then took ${formatMs(entry.laterScenariosMs)} together, the origin not tried again`;
}

// ---------------------------------------------------------------------------------------------
// The report.

function verdicts(report) {
  const list = [];
  const { whole, cost } = report;
  const invalidRuns = whole.runs.filter((run) => !run.valid);
  list.push(verdict(
    `whole run S0–S8 < ${formatMs(TARGETS.wholeRunMs)} (median of ${whole.runs.length})`,
    formatMs(whole.medianMs),
    formatMs(TARGETS.wholeRunMs),
    invalidRuns.length === 0 && whole.medianMs < TARGETS.wholeRunMs,
    invalidRuns.length > 0 ? `${invalidRuns.length} run(s) had a scenario that did not pass` : undefined,
  ));
  list.push(verdict(
    `smoke client overhead per request ≤ max(${TARGETS.overheadShare * 100}% of the bare p50, ${formatUs(TARGETS.overheadFloorMs)})`,
    `${cost.overheadP50Ms >= 0 ? '+' : ''}${formatUs(cost.overheadP50Ms)} at p50 (${cost.ratioP50.toFixed(3)}×)`,
    formatUs(cost.limitMs),
    cost.smoke.non200 + cost.bare.non200 > 0 ? undefined : cost.overheadP50Ms <= cost.limitMs,
  ));
  for (const entry of report.unreachable) {
    if (entry.skipped) {
      list.push(verdict(`${entry.name}: S0–S7 each fail with a connection reason, total < ${formatMs(TARGETS.unreachableMs)}`, 'not measured', formatMs(TARGETS.unreachableMs), undefined, `${entry.url} ${entry.skipped}`));
      continue;
    }
    list.push(verdict(`${entry.name}: S0–S7 each fail with a connection reason`, `${entry.failedWithConnectionReason}/${entry.expected}`, `${entry.expected}/${entry.expected}`, entry.failedWithConnectionReason === entry.expected));
    list.push(verdict(`${entry.name}: total < ${formatMs(TARGETS.unreachableMs)}`, formatMs(entry.wallMs), formatMs(TARGETS.unreachableMs), entry.wallMs < TARGETS.unreachableMs));
  }
  for (const run of invalidRuns) list.push({ target: `whole run ${run.run}: every scenario passes`, actual: run.failures.join('; '), limit: 'S0–S8 pass', verdict: 'INVALID' });
  for (const name of ['smoke', 'bare']) {
    if (cost[name].non200 > 0) list.push({ target: `client cost (${name}): every /health answered 200`, actual: `${cost[name].non200} non-200`, limit: '0', verdict: 'INVALID' });
  }
  return list;
}

function printReport(report) {
  const { whole, cost } = report;
  const lines = ['', `Whole run: runSmoke S0–S8 against the ACTIVE and PASSIVE bots, --allow-mutations, --spawn a third bot (${whole.runs.length} runs)`, ''];
  lines.push(...table(
    ['scenario', 'passed', 'median', 'min', 'max', 'awaiting answers', 'client CPU', 'requests'],
    whole.scenarios.map((entry) => [`${entry.id} ${entry.title}`, `${entry.passed}/${entry.runs}`, formatMs(entry.medianMs), formatMs(entry.minMs), formatMs(entry.maxMs), formatMs(entry.awaitedMs), formatMs(entry.cpuMs), String(entry.sends)]),
  ));
  const s8 = whole.scenarios.find((entry) => entry.id === 'S8');
  if (s8) lines.push('', `S8: the spawned bot was healthy after ${formatMs(s8.coldStartMs)} (median), the bot's own start-up; S8's stop took ${formatMs(s8.stopMs)} (its stop_ms: from SIGTERM until no process of the spawned command's group runs).`);
  lines.push('', ...table(
    ['run', 'wall', 'S8', 'S0–S7 awaiting answers', 'S0–S7 between requests', 'runner', 'client CPU', 'requests', 'result', 'load'],
    whole.runs.map((run) => [
      String(run.run), formatMs(run.wallMs), formatMs(run.breakdown.s8Ms), formatMs(run.breakdown.othersAwaitingMs), formatMs(run.breakdown.othersBetweenMs), formatMs(run.breakdown.runnerMs),
      formatMs(run.clientCpuMs), String(run.sends), run.valid ? 'all pass' : 'INVALID', run.load.toFixed(2),
    ]),
  ));
  const b = whole.medianBreakdown;
  lines.push(
    '',
    `Median run ${formatMs(whole.medianMs)} (max ${formatMs(whole.maxMs)}): S8 ${formatMs(b.s8Ms)} (spawned bot healthy after ${formatMs(b.s8ColdStartMs)}, stop ${formatMs(b.s8StopMs)}), S0–S7 awaiting the bots' answers ${formatMs(b.othersAwaitingMs)}, S0–S7 between requests ${formatMs(b.othersBetweenMs)} (the scenarios' pauses between polls for the bots' work, plus the client's own work), runner ${formatMs(b.runnerMs)}.`,
    `The client's CPU time over the whole run: ${formatMs(whole.medianClientCpuMs)} (${whole.clientCpuShare}% of the wall time), an upper bound on its overhead; the other ${formatMs(whole.medianMs - whole.medianClientCpuMs)} is waiting on the services and the scenarios' own pauses.`,
  );
  lines.push('', `Client cost: GET /health on the ACTIVE bot, ${cost.smoke.requests} requests per client, one at a time, in ${cost.blocks} alternating blocks per client after a warm-up`, '');
  lines.push(...table(
    ['client', 'p50', 'p99', 'mean', 'non-200'],
    [['smoke HttpClient.send', cost.smoke], ['bare undici.request', cost.bare]].map(([name, entry]) => [name, formatUs(entry.p50Ms), formatUs(entry.p99Ms), formatUs(entry.meanMs), String(entry.non200)]),
  ));
  lines.push(
    '',
    `Overhead: ${formatUs(cost.overheadP50Ms)} at p50 (${cost.ratioP50.toFixed(3)}×), ${formatUs(cost.overheadP99Ms)} at p99; median of the per-block p50 differences ${formatUs(cost.medianBlockOverheadMs)}.`,
    `Target: overhead ≤ max(${TARGETS.overheadShare * 100}% of the bare p50, ${formatUs(TARGETS.overheadFloorMs)}) = ${formatUs(cost.limitMs)} in this run.`,
  );
  lines.push('', 'Unreachable URL (--url and --passive-url the same, --allow-mutations, no --spawn)', '');
  lines.push(...table(
    ['target', 'url', 'total', 'S0–S7 failed (connection)', 'S0 took', 'error', 'S8'],
    report.unreachable.map((entry) => (entry.skipped
      ? [entry.name, entry.url, 'not run', '-', '-', `HTTP ${entry.probe.status}`, '-']
      : [entry.name, entry.url, formatMs(entry.wallMs), `${entry.failedWithConnectionReason}/${entry.expected}`, formatMs(entry.firstScenarioMs), entry.code ?? '-', entry.s8])),
  ));
  for (const entry of report.unreachable) lines.push(`${entry.name}: ${unreachablePath(entry)}${entry.skipped ? '' : `; S0's reason: "${entry.scenarios[0]?.reason ?? '-'}"`}.`);
  lines.push('', 'Targets', '', ...report.verdicts.map((entry) => verdictLine(entry)));
  lines.push('', outcomeLine(report.verdicts));
  const { machine } = report;
  lines.push(loadAverageLine(machine, 'the bots, PostgreSQL, the emulators and the smoke client share them'));
  if (Math.max(machine.loadAverageAtStart, ...whole.runs.map((run) => run.load)) > machine.cpus) lines.push(busyMachineNote(machine.cpus, ' during a run'));
  if (report.options.quick) lines.push('--quick: few runs and requests, indicative only.');
  printReportLines(lines, report.outFile);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  requireBuilt([dist('bot', 'main.js'), dist('cli', 'smoke', 'runner.js'), dist('emulators', 'telegram', 'server.js'), dist('emulators', 'kie', 'server.js')], 'bench:smoke');
  const { version, machine } = announce('smoke', { quick: options.quick });
  const [{ runSmoke }, { resolveSmokeSettings }, { HttpClient }, { loadTruth }] = await Promise.all([
    importDist('cli', 'smoke', 'runner.js'),
    importDist('cli', 'smoke', 'settings.js'),
    importDist('cli', 'smoke', 'http.js'),
    importDist('cli', 'core', 'truth.js'),
  ]);
  const truthFile = join(repoRoot, 'product', 'truth.yaml');
  const smoke = { runSmoke, resolveSmokeSettings, HttpClient, truth: loadTruth(truthFile).truth };

  const began = performance.now();
  try {
    const { server: postgres } = await startPostgres(started, 'trt-bench-smoke-');
    const databaseUrl = await createDatabase(postgres.url, 'smoke');
    const emulators = await startEmulators();
    const env = botEnvironment({ databaseUrl, ...emulators });
    const active = await startBot('the ACTIVE bot', env, 'ACTIVE');
    // The standby shares the ACTIVE's public URL, as behind one platform address; it never registers it while PASSIVE.
    const passive = await startBot('the PASSIVE bot', env, 'PASSIVE', active.url);
    process.stdout.write(`PostgreSQL 127.0.0.1:${postgres.port} (embedded), Telegram emulator ${emulators.telegramApiRoot}, KIE emulator ${emulators.kieApiRoot}; ACTIVE ${active.url}, PASSIVE ${passive.url}\n`);

    // S8's spawned bot inherits this process's environment (trt gives it PORT); without PUBLIC_URL it registers no webhook.
    Object.assign(process.env, env);
    delete process.env.PUBLIC_URL;
    const spawnCommand = `"${process.execPath}" "${dist('bot', 'main.js')}"`;
    const settings = resolveSmokeSettings(smoke.truth, { url: active.url, passiveUrl: passive.url, allowMutations: true, spawn: spawnCommand }, repoRoot, process.env);

    process.stdout.write(`\nWhole run: ${options.runs} runs of S0–S8\n`);
    const runs = [];
    for (let index = 0; index < options.runs; index++) runs.push(await wholeRun(index, settings, smoke));
    const medianOf = (pick) => round(median(runs.map(pick).filter((value) => typeof value === 'number')));
    const medianMs = medianOf((run) => run.wallMs);
    const medianClientCpuMs = medianOf((run) => run.clientCpuMs);
    const whole = {
      medianMs,
      maxMs: Math.max(...runs.map((run) => run.wallMs)),
      medianClientCpuMs,
      clientCpuShare: round((medianClientCpuMs / medianMs) * 100),
      medianBreakdown: Object.fromEntries(Object.keys(runs[0].breakdown).map((key) => [key, medianOf((run) => run.breakdown[key])])),
      scenarios: summariseScenarios(runs),
      runs,
      ...(runs.every((run) => run.valid) ? {} : { activeOutput: active.output(), passiveOutput: passive.output() }),
    };

    process.stdout.write(`\nClient cost: ${options.requests} GET /health per client\n`);
    const cost = await clientCost(active.url, options.requests, HttpClient);
    process.stdout.write(`  smoke p50 ${formatUs(cost.smoke.p50Ms)}, bare p50 ${formatUs(cost.bare.p50Ms)}\n`);

    process.stdout.write('\nUnreachable URL\n');
    const closed = await unreachable('closed port', `http://127.0.0.1:${await freePort()}`, smoke);
    const nowhere = [];
    for (const { name, url } of NON_ROUTABLE) nowhere.push(await unreachable(name, url, smoke));

    const report = {
      generatedAt: new Date().toISOString(),
      trtVersion: version,
      options: { quick: options.quick, runs: options.runs, requests: options.requests },
      machine: { ...machine, loadAverageAtEnd: loadavg()[0] },
      setup: { truthFile, spawnCommand, thresholds: settings.thresholds, maxRequests: settings.maxRequests },
      method: {
        wholeRun: 'runSmoke (dist/cli/smoke/runner.js) in this process, settings from resolveSmokeSettings with --url, --passive-url, --allow-mutations, --spawn; wall time around the call; per scenario its durationMs, the time with an HttpClient.send in flight (the class method wrapped for the run) and this process\'s CPU time (process.cpuUsage; the emulators and the bots run in other processes)',
        clientCost: `GET /health on the ACTIVE, one request at a time, HttpClient.send vs undici.request with its own Agent, ${BLOCKS} blocks per client alternated (order swapped each block) after an untimed warm-up; each request timed from the call to the end of its body`,
        unreachable: 'runSmoke with --url and --passive-url on a closed port of 127.0.0.1, then on addresses routed nowhere (each first probed with a bare GET /, and left out when something answers it); --allow-mutations, no --spawn, the webhook and admin secrets set',
      },
      targets: TARGETS,
      whole,
      cost,
      unreachable: [closed, ...nowhere],
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
