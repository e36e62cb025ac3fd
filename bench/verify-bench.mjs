#!/usr/bin/env node
/**
 * `npm run bench`: how fast and how lean `trt verify` is on a realistic repository, as ratios
 * against its peers measured in the same run on the same tree (SPEC §11: targets are benchmarks,
 * never timed unit tests). See bench/README.md for the method and the targets.
 *
 * For each size it generates a repository (bench/generate-repo.mjs) into bench/.work/, then runs,
 * each as its own child process timed on the wall clock with its peak resident memory:
 *   trt cold      `trt verify` with every rule, its cache deleted first
 *   trt first run the same with trt's tool cache (V8's compiled TypeScript, generated validators)
 *                 deleted too: a machine's very first run
 *   trt warm      the same again, nothing changed
 *   trt 1 change  one module edited (a line appended), then the same again
 *   knip          `knip --cycles` (knip's circular-dependency check), cold, then warm with --cache
 *   madge         `madge --circular --extensions ts --ts-config tsconfig.json src` (no cache)
 *   depcruise     a config with only a no-circular rule, cold, then warm with --cache
 * and checks that every tool found exactly the planted cycles: a bench of a broken run is worthless.
 *
 * trt cold and knip cold (the headline ratio) run alternately, the same number of times.
 *
 * Flags: --sizes 3000,10000 | --quick (one small size) | --runs N (runs of trt cold and knip cold,
 * at least 3 of trt warm and one-change) | --peer-runs N (madge, depcruise) | --peers-everywhere (peers at every size; by default only at sizes up
 * to 5,000, because depcruise and madge take minutes at 10,000) | --no-peers | --out FILE |
 * --keep (leave the generated repositories in bench/.work/ for profiling; by default they are
 * deleted, since `trt verify` of this repository would walk them).
 * Exits 0 even when a target is missed: it is a report, MISSED lines say what failed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { generateRepo } from './generate-repo.mjs';
import { MiB, announce, dist, msFormatter, outcomeLine, parseFlags, printReportLines, repoRoot, requireBuilt, runBench, table, verdict, verdictLine, writeArtifact } from './lib.mjs';

const workRoot = join(repoRoot, 'bench', '.work');
const TIME = '/usr/bin/time';
// Whole milliseconds: a verify run lasts hundreds of them at the least.
const formatMs = msFormatter(0);

/** The tool cache's folders (cli/core/tool-cache.ts), under trt's own node_modules/.cache/trt/. */
const TOOL_CACHE_FOLDERS = ['v8', 'validators'];

const TARGETS = {
  coldVsKnip: 0.75,
  coldMemoryMiB: 400,
  warmMs: 1000,
  oneChangeMs: 1500,
  largeMemoryMiB: 1024,
  /** Sizes at or below this are "about 3,000"; above it, the 1 GiB memory target applies. */
  smallSizeLimit: 5000,
};

function parseArguments(argv) {
  const options = { sizes: [3000, 10000], runs: undefined, peerRuns: undefined, peersEverywhere: false, peers: true, out: join(repoRoot, 'artifacts', 'bench-verify.json'), quick: false, keep: false };
  parseFlags(argv, 'verify-bench.mjs', (flag, value) => {
    if (flag === '--sizes') options.sizes = value().split(',').map((size) => Number(size.trim()));
    else if (flag === '--quick') options.quick = true;
    else if (flag === '--runs') options.runs = Number(value());
    else if (flag === '--peer-runs') options.peerRuns = Number(value());
    else if (flag === '--peers-everywhere') options.peersEverywhere = true;
    else if (flag === '--no-peers') options.peers = false;
    else if (flag === '--out') options.out = resolve(value());
    else if (flag === '--keep') options.keep = true;
    else return false;
  });
  if (options.quick) options.sizes = [600];
  if (options.sizes.some((size) => !Number.isInteger(size) || size < 100)) throw new Error('--sizes takes whole numbers of at least 100');
  return options;
}

/**
 * Peak RSS: GNU time's "maximum resident set size" (from wait4's rusage of the child, which
 * counts every thread of the process, so worker threads are included). Without /usr/bin/time,
 * /proc/<pid>/status VmHWM (the kernel's own high-water mark) is polled every 20 ms; that can
 * miss a peak reached in the last few milliseconds of a run.
 */
const memoryMethod = existsSync(TIME) ? 'gnu-time' : existsSync('/proc/self/status') ? 'proc-vmhwm' : 'none';

/** Runs one command to completion; wall time measured here, around the spawn. */
async function measure(command, args, { cwd, env } = {}) {
  const statsFile = join(workRoot, `.time-${process.pid}.txt`);
  const [file, argv] = memoryMethod === 'gnu-time' ? [TIME, ['-f', '%M %U %S', '-o', statsFile, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(file, argv, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  let polledKiB = 0;
  const poll = memoryMethod === 'proc-vmhwm'
    ? setInterval(() => {
        try {
          const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (match) polledKiB = Math.max(polledKiB, Number(match[1]));
        } catch {
          // The process ended between two polls.
        }
      }, 20)
    : undefined;
  const code = await new Promise((resolveExit, rejectExit) => {
    child.once('error', rejectExit);
    child.once('close', (exitCode) => resolveExit(exitCode));
  });
  const wallMs = performance.now() - started;
  if (poll) clearInterval(poll);
  let peakKiB = polledKiB;
  let cpuMs;
  if (memoryMethod === 'gnu-time') {
    // The last line: a "Command exited with non-zero status" line may come before it.
    const lines = readFileSync(statsFile, 'utf8').trim().split('\n');
    const [maxRss, user, system] = lines[lines.length - 1].split(' ').map(Number);
    peakKiB = maxRss;
    cpuMs = (user + system) * 1000;
    rmSync(statsFile, { force: true });
  }
  return { wallMs, cpuMs, peakMiB: peakKiB / 1024, code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

/**
 * The peers live in bench/.peers, installed on first use rather than as devDependencies: knip's
 * parser lists platform binaries the registry mirror here does not serve, which breaks `npm ci`
 * for everyone, while `npm install` into a side folder tolerates them.
 */
const PEERS = { knip: 'knip@6.44.2', madge: 'madge@8.0.0', depcruise: 'dependency-cruiser@17.4.3' };
const peersDir = join(repoRoot, 'bench', '.peers');

function binScript(name) {
  const bin = join(peersDir, 'node_modules', '.bin', name);
  if (!existsSync(bin)) {
    console.log(`installing the bench peers (${Object.values(PEERS).join(', ')}) into bench/.peers …`);
    mkdirSync(peersDir, { recursive: true });
    const install = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', peersDir, ...Object.values(PEERS)], { stdio: 'inherit' });
    if (install.status !== 0 || !existsSync(bin)) throw new Error(`could not install ${name} into bench/.peers (npm exited ${install.status})`);
  }
  return realpathSync(bin);
}

/** The tools, each a command and a parser of the cycles it reports. */
function tools(root) {
  const trtBin = dist('cli', 'bin.js');
  const node = process.execPath;
  return {
    trt: {
      run: () => measure(node, [trtBin, 'verify', '--root', root, '--format', 'json'], { cwd: root }),
      ok: (result) => result.code === 0 || result.code === 1,
      parse(result) {
        const report = JSON.parse(result.stdout);
        const byRule = {};
        for (const finding of report.findings) byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1;
        return { cycles: byRule['no-circular-imports'] ?? 0, files: report.summary.files, byRule, engineMs: report.summary.durationMs };
      },
    },
    knip: {
      run: (cache) => measure(node, [binScript('knip'), '--cycles', '--no-progress', '--reporter', 'json', ...(cache ? ['--cache'] : [])], { cwd: root }),
      ok: (result) => result.code === 0 || result.code === 1,
      parse: (result) => ({ cycles: JSON.parse(result.stdout).issues.reduce((sum, issue) => sum + (issue.cycles?.length ?? 0), 0) }),
    },
    madge: {
      run: () => measure(node, [binScript('madge'), '--circular', '--extensions', 'ts', '--ts-config', 'tsconfig.json', '--json', '--no-spinner', 'src'], { cwd: root }),
      ok: (result) => result.code === 0 || result.code === 1,
      parse: (result) => ({ cycles: JSON.parse(result.stdout).length }),
    },
    depcruise: {
      run: (cache) =>
        measure(
          node,
          [binScript('depcruise'), '--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...(cache ? ['--cache', 'node_modules/.cache/depcruise', '--cache-strategy', 'content'] : []), 'src'],
          { cwd: root },
        ),
      // Its exit code is the number of error-severity violations.
      ok: (result) => result.code !== null && result.code < 128 && /dependencies cruised/.test(result.stdout + result.stderr),
      parse: (result) => ({ cycles: ((result.stdout + result.stderr).match(/^\s*error no-circular:/gm) ?? []).length }),
    },
  };
}

/**
 * Runs each measure `times` times, round-robin (A B A B ...), so that measures compared with each
 * other see the same machine conditions; keeps every sample and the parsed output of the last.
 */
async function interleaved(measures, times, expectCycles) {
  const states = measures.map((measure) => ({ ...measure, samples: [], parsed: undefined, problem: undefined, stopped: false }));
  for (let round = 0; round < times; round++) {
    for (const state of states) {
      if (state.stopped) continue;
      const result = await state.run(round);
      state.samples.push({ ms: Math.round(result.wallMs), ...(result.cpuMs === undefined ? {} : { cpuMs: Math.round(result.cpuMs) }), peakMiB: Math.round(result.peakMiB), load: Number(loadavg()[0].toFixed(2)) });
      if (!state.tool.ok(result)) {
        state.problem = `exit ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`;
        state.stopped = true;
        continue;
      }
      try {
        state.parsed = state.tool.parse(result);
      } catch (error) {
        state.problem = `unreadable output (${error.message})`;
        state.stopped = true;
        continue;
      }
      if (state.parsed.cycles !== expectCycles) state.problem = `found ${state.parsed.cycles} cycles, planted ${expectCycles}`;
    }
  }
  return states.map(({ label, samples, parsed, problem, stopped }) => {
    const best = samples.reduce((a, b) => (b.ms < a.ms ? b : a), samples[0]);
    const entry = {
      label, runs: samples.length, bestMs: best.ms, ...(best.cpuMs === undefined ? {} : { bestCpuMs: Math.min(...samples.map((sample) => sample.cpuMs)) }),
      peakMiB: Math.max(...samples.map((sample) => sample.peakMiB)), samples,
      ...(parsed ? { output: parsed } : {}),
      // completed: every run exited normally with readable output (its time means something);
      // valid: and it found exactly the planted cycles.
      completed: parsed !== undefined && !stopped, valid: !problem, ...(problem ? { problem } : {}),
    };
    process.stdout.write(`  ${label.padEnd(22)} ${formatMs(entry.bestMs).padStart(9)} ${entry.bestCpuMs === undefined ? '' : `cpu ${formatMs(entry.bestCpuMs)}`.padStart(12)} ${`${entry.peakMiB} MiB`.padStart(9)}  ${problem ? `INVALID: ${problem}` : `cycles ${parsed?.cycles}`}  [${samples.map((sample) => formatMs(sample.ms)).join(', ')}]\n`);
    return entry;
  });
}

async function series(label, times, run, tool, expectCycles) {
  const [entry] = await interleaved([{ label, run, tool }], times, expectCycles);
  return entry;
}

async function benchSize(size, options) {
  const root = join(workRoot, `repo-${size}`);
  const generationStarted = performance.now();
  const generated = generateRepo({ modules: size, out: root });
  const generateMs = Math.round(performance.now() - generationStarted);
  const planted = generated.cycles.length;
  process.stdout.write(`\n${size} modules: ${generated.files} files, ${(generated.bytes / MiB).toFixed(1)} MiB of text, ${planted} planted cycles (generated in ${formatMs(generateMs)})\n`);

  const small = size <= TARGETS.smallSizeLimit;
  const runs = options.runs ?? (small ? 3 : 1);
  const peerRuns = options.peerRuns ?? 1;
  const withPeers = options.peers && (small || options.peersEverywhere);
  const tool = tools(root);
  const trtCache = join(root, 'node_modules', '.cache', 'trt');
  const results = {};

  const knipCache = join(root, 'node_modules', '.cache', 'knip');
  const depcruiseCache = join(root, 'node_modules', '.cache', 'depcruise');
  rmSync(knipCache, { recursive: true, force: true });
  rmSync(depcruiseCache, { recursive: true, force: true });
  // The headline ratio: trt cold against knip cold, alternated so both meet the same load.
  const trtColdMeasure = { label: 'trt cold', tool: tool.trt, run: () => {
    rmSync(trtCache, { recursive: true, force: true });
    return tool.trt.run();
  } };
  const knipColdMeasure = { label: 'knip --cycles cold', tool: tool.knip, run: () => tool.knip.run(false) };
  // What a machine's very first run costs: the tool cache trt keeps beside its own install
  // (V8's compiled TypeScript, ajv's generated validators) deleted too. Reported, not a target.
  const trtFirstMeasure = { label: 'trt first run', tool: tool.trt, run: () => {
    rmSync(trtCache, { recursive: true, force: true });
    for (const kept of TOOL_CACHE_FOLDERS) rmSync(join(repoRoot, 'node_modules', '.cache', 'trt', kept), { recursive: true, force: true });
    return tool.trt.run();
  } };
  const coldMeasures = withPeers ? [trtColdMeasure, knipColdMeasure, trtFirstMeasure] : [trtColdMeasure, trtFirstMeasure];
  const cold = await interleaved(coldMeasures, runs, planted);
  results.trtCold = cold[0];
  if (withPeers) results.knipCold = cold[1];
  results.trtFirstRun = cold.at(-1);
  results.trtWarm = await series('trt warm', Math.max(3, runs), () => tool.trt.run(), tool.trt, planted);
  const original = readFileSync(join(root, generated.touchFile), 'utf8');
  results.trtOneChange = await series('trt one file changed', Math.max(3, runs), (round) => {
    appendFileSync(join(root, generated.touchFile), `\nexport const benchEdit${round} = ${round};\n`);
    return tool.trt.run();
  }, tool.trt, planted);
  writeFileSync(join(root, generated.touchFile), original);

  if (withPeers) {
    results.madge = await series('madge --circular', peerRuns, () => tool.madge.run(), tool.madge, planted);
    results.depcruiseCold = await series('depcruise cold', peerRuns, () => tool.depcruise.run(false), tool.depcruise, planted);
    // The first cached run fills the cache; the warm figures are the runs after it.
    await tool.knip.run(true);
    results.knipWarm = await series('knip --cycles warm', Math.max(2, peerRuns), () => tool.knip.run(true), tool.knip, planted);
    await tool.depcruise.run(true);
    results.depcruiseWarm = await series('depcruise warm', Math.max(2, peerRuns), () => tool.depcruise.run(true), tool.depcruise, planted);
  }

  // A generated tree left in bench/.work would be walked by every `trt verify` of this repository.
  if (!options.keep) rmSync(root, { recursive: true, force: true });
  return { modules: size, sourceModules: generated.modules, files: generated.files, textMiB: Number((generated.bytes / MiB).toFixed(1)), plantedCycles: planted, touchedFile: generated.touchFile, generateMs, results, verdicts: verdicts(size, results) };
}

/** Each target: PASS or MISSED, or N/A when its baseline was not measured or a run was invalid. */
function verdicts(size, results) {
  const list = [];
  const add = (...args) => list.push(verdict(...args));
  const valid = (entry) => entry && entry.completed;
  const { trtCold, trtWarm, trtOneChange, knipCold } = results;
  if (size <= TARGETS.smallSizeLimit) {
    const ratio = valid(trtCold) && valid(knipCold) ? trtCold.bestMs / knipCold.bestMs : undefined;
    add(`cold time ≤ ${TARGETS.coldVsKnip}× knip --cycles`, ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`, `${TARGETS.coldVsKnip}×`, ratio === undefined ? undefined : ratio <= TARGETS.coldVsKnip, knipCold ? undefined : 'knip not measured at this size');
    add(`cold peak memory < ${TARGETS.coldMemoryMiB} MiB`, `${trtCold.peakMiB} MiB`, `${TARGETS.coldMemoryMiB} MiB`, valid(trtCold) ? trtCold.peakMiB < TARGETS.coldMemoryMiB : undefined);
    add(`warm re-run < ${formatMs(TARGETS.warmMs)}`, formatMs(trtWarm.bestMs), formatMs(TARGETS.warmMs), valid(trtWarm) ? trtWarm.bestMs < TARGETS.warmMs : undefined);
    add(`one file changed < ${formatMs(TARGETS.oneChangeMs)}`, formatMs(trtOneChange.bestMs), formatMs(TARGETS.oneChangeMs), valid(trtOneChange) ? trtOneChange.bestMs < TARGETS.oneChangeMs : undefined);
  } else {
    const peak = Math.max(trtCold.peakMiB, trtWarm.peakMiB, trtOneChange.peakMiB);
    add(`peak memory < ${TARGETS.largeMemoryMiB} MiB`, `${peak} MiB`, `${TARGETS.largeMemoryMiB} MiB`, valid(trtCold) ? peak < TARGETS.largeMemoryMiB : undefined);
  }
  for (const [name, entry] of Object.entries(results)) {
    if (!entry.valid) list.push({ target: `${name} run is valid`, actual: entry.problem, limit: 'planted cycles found, clean exit', verdict: 'INVALID' });
  }
  return list;
}

function printReport(report) {
  const lines = ['', 'Results (time: best wall clock of the runs; cpu time: best user+system of the runs, all threads; memory: highest peak RSS of the runs)', ''];
  const header = ['tool', 'modules', 'time', 'vs knip', 'vs madge', 'vs depcruise', 'cpu time', 'cpu vs knip', 'peak MiB', 'cycles'];
  const rows = [];
  for (const size of report.sizes) {
    const { knipCold, madge, depcruiseCold } = size.results;
    for (const entry of Object.values(size.results)) {
      const ratio = (baseline) => (baseline?.completed && entry.completed ? `${(entry.bestMs / baseline.bestMs).toFixed(2)}×` : '');
      const cycles = entry.output ? `${entry.output.cycles}/${size.plantedCycles}` : '-';
      const cpuRatio = knipCold?.completed && entry.completed && entry.bestCpuMs !== undefined ? `${(entry.bestCpuMs / knipCold.bestCpuMs).toFixed(2)}×` : '';
      rows.push([
        entry.label, String(size.modules), formatMs(entry.bestMs), ratio(knipCold), ratio(madge), ratio(depcruiseCold),
        entry.bestCpuMs === undefined ? '' : formatMs(entry.bestCpuMs), cpuRatio, String(entry.peakMiB), entry.valid ? cycles : `${cycles} INVALID`,
      ]);
    }
  }
  lines.push(...table(header, rows), '', 'Targets', '');
  for (const size of report.sizes) lines.push(...size.verdicts.map((entry) => verdictLine(entry, `${String(size.modules).padStart(6)} modules  `)));
  const findings = report.sizes.map((size) => `${size.modules}: ${JSON.stringify(size.results.trtCold.output?.byRule ?? {})}`);
  lines.push('', `trt findings by rule on the generated repositories (only no-circular-imports is planted): ${findings.join('; ')}`);
  lines.push('', outcomeLine(report.sizes.flatMap((size) => size.verdicts)));
  if (report.machine.loadAverageAtStart > report.machine.cpus) {
    lines.push(`Note: the load average was ${report.machine.loadAverageAtStart.toFixed(1)} on ${report.machine.cpus} cores at the start; figures are noisier than usual.`);
  }
  printReportLines(lines, report.outFile);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  requireBuilt([dist('cli', 'bin.js')], 'bench:verify');
  mkdirSync(workRoot, { recursive: true });
  const trtVersion = execFileSync(process.execPath, [dist('cli', 'bin.js'), '--version'], { encoding: 'utf8' }).trim();
  const { machine } = announce('verify', { version: trtVersion, detail: `, memory measured by ${memoryMethod}` });
  const started = performance.now();
  const sizes = [];
  for (const size of options.sizes) sizes.push(await benchSize(size, options));
  const report = {
    generatedAt: new Date().toISOString(),
    trtVersion,
    machine: { ...machine, loadAverageAtEnd: loadavg()[0] },
    method: {
      time: 'wall clock around each child process, best of the runs',
      memory: memoryMethod === 'gnu-time' ? 'peak RSS from /usr/bin/time -f %M (wait4 rusage of the child, all threads)' : 'peak RSS polled from /proc/<pid>/status VmHWM every 20 ms',
      peers: { knip: 'knip --cycles (cold: no cache; warm: --cache after a filling run)', madge: 'madge --circular --extensions ts --ts-config tsconfig.json src', depcruise: 'depcruise with a no-circular-only config (cold; warm: --cache --cache-strategy content after a filling run)' },
    },
    targets: TARGETS,
    totalMs: Math.round(performance.now() - started),
    sizes,
    outFile: options.out,
  };
  writeArtifact(options.out, report);
  printReport(report);
}

runBench(main);
