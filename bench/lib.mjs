/**
 * What the benches (verify-bench, bot-bench, ledger-bench, smoke-bench) share: flags, the machine,
 * rounding and formatting of figures, the report's tables and verdicts, the JSON artifact, an
 * embedded PostgreSQL with what it takes to stop it, and child processes, ports and polling. Each
 * bench's own measuring stays in its own file.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';

// The benches run from any folder; every path they use is the repository's.
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MiB = 1024 * 1024;

// The secrets the benches give the bot and the emulators: made up, the same in every bench.
export const BENCH_SECRETS = {
  token: '123456789:BENCH-token-for-the-emulator',
  webhook: 'bench-webhook-secret-0123456789',
  admin: 'bench-admin-secret-0123456789',
  kie: 'bench-kie-key-0123456789',
};

// The benches measure the built product (dist/), never the TypeScript sources.
export const dist = (...parts) => join(repoRoot, 'dist', ...parts);
// A module of dist/ by path: the benches are plain ESM run without a build step of their own.
export const importDist = (...parts) => import(pathToFileURL(dist(...parts)).href);

// A missing build would fail deep inside a run; say so up front, with the command that builds.
export function requireBuilt(files, npmScript) {
  for (const file of files) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run ${npmScript}\` (it builds first)`);
  }
}

// Stamped on every report, so artifacts from different versions are told apart.
function packageVersion() {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
}

// Every bench takes `--flag` or `--flag value`; `onFlag` handles its own and returns false for a flag it does not know.
export function parseFlags(argv, script, onFlag) {
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (onFlag(flag, value) === false) throw new Error(`unknown flag ${flag}; see the comment at the top of bench/${script}`);
  }
}

// Counts and sizes from the command line must be whole and large enough to mean something.
export function wholeNumber(flag, text, minimum) {
  const number = Number(text);
  if (!Number.isInteger(number) || number < minimum) throw new Error(`${flag} takes a whole number of at least ${minimum}, got "${text}"`);
  return number;
}

// The machine a report was measured on: figures from different machines, or a busy one, do not compare.
function machineFacts() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', totalMemMiB: Math.round(totalmem() / MiB), node: process.version, loadAverageAtStart: loadavg()[0] };
}

// Every bench opens by stamping the version and the machine on its report and printing them, with how busy the machine was.
export function announce(bench, { version = packageVersion(), detail = '', quick = false } = {}) {
  const machine = machineFacts();
  process.stdout.write(`trt ${version} ${bench} bench — node ${machine.node}, ${machine.cpus} cores${detail}; load average ${machine.loadAverageAtStart.toFixed(2)}${quick ? ' (--quick)' : ''}\n`);
  return { version, machine };
}

// Seeded PRNG (mulberry32): the same seed gives the same sequence, so runs and generated trees compare.
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Nearest-rank percentile of ascending samples (null when there are none): the p50/p99 of every table.
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// The middle sample (the mean of the two middle ones for an even count), null when there are none: for a handful of runs, where a nearest-rank p50 would pick one side.
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// Figures for the report; `missing` is what an unmeasured value becomes (undefined leaves the key out of the JSON, null keeps it).
export function roundTo(value, digits, missing = undefined) {
  if (value === undefined || value === null || Number.isNaN(value)) return missing;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

// Durations in one style in every bench (seconds from 1 s); each picks its decimals under 10 ms, since they measure at different scales.
export function msFormatter(smallDigits) {
  return (ms) => {
    if (ms === null || ms === undefined) return '-';
    if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    return `${ms.toFixed(ms >= 10 ? Math.min(1, smallDigits) : smallDigits)} ms`;
  };
}

// A plain-text table, first column left-aligned and figures right-aligned, so results read down a column.
export function table(header, rows) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const format = (row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(format)];
}

// One target's outcome: PASS or MISSED, or N/A when its figure could not be measured.
export function verdict(target, actual, limit, pass, note) {
  return { target, actual, limit, verdict: pass === undefined ? 'N/A' : pass ? 'PASS' : 'MISSED', ...(note ? { note } : {}) };
}

// A verdict as printed under "Targets"; `where` names the run when a bench has several (the verify bench's sizes).
export function verdictLine(entry, where = '') {
  return `  ${entry.verdict.padEnd(7)} ${where}${entry.target}: ${entry.actual} (limit ${entry.limit})${entry.note ? ` — ${entry.note}` : ''}`;
}

// The last word of a report: a missed target or an invalid run is counted, though the bench still exits 0 (it is a report).
export function outcomeLine(verdicts) {
  const missed = verdicts.filter((entry) => entry.verdict === 'MISSED' || entry.verdict === 'INVALID').length;
  return missed > 0 ? `MISSED: ${missed} target(s) not met or run(s) invalid; see above.` : 'All targets met.';
}

// The load average around the run: the first thing to read when figures look off on a shared machine.
export function loadAverageLine(machine, sharedBy = '') {
  return `Load average ${machine.loadAverageAtStart.toFixed(2)} at the start, ${machine.loadAverageAtEnd.toFixed(2)} at the end, on ${machine.cpus} cores${sharedBy ? `: ${sharedBy}` : ''}.`;
}

// Oversubscribed cores stretch every absolute figure; the ratios to a baseline measured alongside hold better.
export function busyMachineNote(cpus, when = '') {
  return `Note: other work was running (load average above ${cpus}${when}); figures are noisier than usual, compare the ratios and re-run when the machine is quiet.`;
}

// The JSON artifact holds every sample and the machine, so runs can be compared after the console is gone.
export function writeArtifact(file, report) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

// The console report ends by naming the artifact, where every sample behind its figures is.
export function printReportLines(lines, outFile) {
  process.stdout.write([...lines, `Written to ${outFile}`, ''].join('\n'));
}

// A bench's entry point: a crash exits 2 with its stack after `cleanUp` (a missed target exits 0: it is a report).
export function runBench(main, cleanUp = async () => undefined) {
  main().catch(async (error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    await cleanUp();
    process.exitCode = 2;
  });
}

// What a bench started, stopped newest first, then its folders removed: a failed run must leave no PostgreSQL, server or data folder behind.
export function createStarted() {
  const stops = [];
  const folders = [];
  return {
    /** `what` names it in the message if stopping it fails. */
    add(what, stop) {
      stops.push({ what, stop });
    },
    folder(path) {
      folders.push(path);
      return path;
    },
    /** Synchronous, for process 'exit', where nothing asynchronous runs any more. */
    removeFolders() {
      for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    },
    async stopAll() {
      for (const { what, stop } of stops.splice(0).reverse()) {
        try {
          await stop();
        } catch (error) {
          process.stderr.write(`could not stop ${what}: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
      this.removeFolders();
    },
  };
}

// An interrupted bench (SIGINT exits 130, SIGTERM 143) stops what `started` holds first; its folders go whenever the process exits.
export function stopOnSignals(started, what) {
  process.on('exit', () => started.removeFolders());
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${what} …\n`);
      started.stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

// A bot's /health body, or null when it does not answer JSON within `timeoutMs`.
export async function health(url, timeoutMs) {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return await response.json();
  } catch {
    return null;
  }
}

// The product's embedded PostgreSQL in a fresh temporary folder, both left to `started` to stop and remove; quiet unless TRT_BENCH_PG_LOG asks for its log.
export async function startPostgres(started, folderPrefix) {
  const folder = started.folder(mkdtempSync(join(tmpdir(), folderPrefix)));
  // mkdtemp makes the folder 0700; as root, PostgreSQL runs as the OS user `postgres`, which must traverse it.
  chmodSync(folder, 0o711);
  const { startEmbeddedPostgres } = await importDist('bot', 'db', 'embedded.js');
  const server = await startEmbeddedPostgres({ dataDir: join(folder, 'data'), log: pino({ level: process.env.TRT_BENCH_PG_LOG ?? 'silent' }) });
  started.add('the embedded PostgreSQL', () => server.stop());
  return { folder, server };
}

// One short-lived connection, for what needs no pool: creating a database, reading settings.
export async function withClient(url, use) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

// Each measure gets an empty database of its own on the bench's server, so none inherits another's rows; returns its URL.
export async function createDatabase(serverUrl, name) {
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

// The server settings that decide what a query or a commit costs, for the report; `show` formats one row (setting, unit).
export async function postgresSettings(db, names, show = (row) => row.setting) {
  const result = await db.query('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])', [names]);
  return Object.fromEntries(result.rows.map((row) => [row.name, show(row)]));
}

export function sleep(ms) {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

// Polls `probe` every `everyMs` until it returns something other than undefined; after `timeoutMs` the error names `what` was awaited.
export async function until(what, probe, timeoutMs, everyMs = 50) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// A port the OS just handed out and took back: free for a child to listen on or, left unused, a port where nothing listens.
export async function freePort() {
  const probe = createServer();
  await new Promise((resolveListen, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolveListen);
  });
  const { port } = probe.address();
  await new Promise((resolveClose) => probe.close(resolveClose));
  return port;
}

/**
 * A `node` child of a bench with PATH and `env` only, so nothing of the bench's own environment
 * leaks in; its last output lines are kept for error messages. `started` SIGKILLs it (a bench's
 * databases are thrown away, nothing needs a graceful stop), and so does the bench's exit.
 */
export function startNodeChild(started, label, args, env) {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...(process.env.PATH ? { PATH: process.env.PATH } : {}), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (alive()) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', kill);
      resolveExit({ code, signal });
    });
  });
  started.add(label, () => {
    kill();
    return exited;
  });
  const lines = [];
  const listeners = new Set();
  const reader = () => {
    let partial = '';
    return (chunk) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop();
      for (const line of parts) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 60) lines.shift();
        for (const listener of listeners) listener(line);
      }
    };
  };
  child.stdout.on('data', reader());
  child.stderr.on('data', reader());
  return {
    label,
    child,
    exited,
    alive,
    output: () => lines.join('\n'),
    /** The first output line matching `pattern` (its match), or a rejection when the child exits first or the time runs out. */
    waitForLine(pattern, timeoutMs) {
      const seen = lines.map((line) => pattern.exec(line)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => finish(new Error(`${label} printed no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
        const listener = (line) => {
          const match = pattern.exec(line);
          if (match) finish(undefined, match);
        };
        const finish = (error, match) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (error) reject(error);
          else resolveLine(match);
        };
        listeners.add(listener);
        exited.then(({ code, signal }) => finish(new Error(`${label} exited (${signal ?? `code ${code}`}) before printing a line matching ${pattern}:\n${lines.join('\n')}`)));
      });
    },
  };
}
