/**
 * `trt demo` (`npm run demo`, SPEC §10): the whole loop on this machine. An embedded PostgreSQL,
 * the Telegram, KIE and Render emulators and two bots (ACTIVE, then PASSIVE) are started, then
 * `trt verify` on the repository, `trt smoke` with every scenario and `trt ops snapshot` run
 * against them, and a certification summary is printed and written to
 * `<artifacts>/certification.md`. Exit 0 when every stage passed, 1 otherwise.
 *
 * Whatever ends the run — success, a failed stage, Ctrl-C, SIGTERM — everything started is
 * stopped and the temporary folder removed; a second Ctrl-C kills at once. What was started
 * (pids, ports, the folder; never a secret) is kept in `<artifacts>/demo-environment.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { Option, type Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import { packageRoot, packageVersion } from '../core/package-root.js';
import { secretRedactor } from '../core/redact.js';
import { useColor } from '../core/terminal.js';
import { loadTruth } from '../core/truth.js';
import { CleanupStack, DemoInterrupted, type StopProblem } from '../demo/cleanup.js';
import {
  certify,
  displayPath,
  renderJson,
  renderMarkdown,
  renderText,
  type EnvironmentStage,
  type OpsStage,
  type SmokeStage,
  type StageResult,
} from '../demo/certification.js';
import { generateSecrets, newRunId, RUN_MARKER, seconds, startEnvironment, type DemoEnvironment, type Inventory } from '../demo/environment.js';
import { exportBotEnvironment, runOpsStage, runSmokeStage, runVerifyStage, type ReportSink } from '../demo/stages.js';
import { createTextProgress } from '../smoke/reporters/text.js';
import type { RunHooks } from '../smoke/runner.js';

type Format = 'text' | 'json' | 'markdown';

interface Flags {
  artifacts: string;
  format: Format;
  keep?: boolean;
}

const STAGES = 4;
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };
/**
 * A second signal this soon after the first is the same Ctrl-C delivered twice: under `npm run
 * demo` the terminal signals the whole process group and npm forwards the signal to its child.
 */
const SAME_SIGNAL_WITHIN_MS = 500;

export function registerDemo(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('demo')
    .description('the whole loop on this machine: embedded PostgreSQL, the emulators and two bots, then verify, smoke S0–S8 and ops snapshot, certified')
    .option('--artifacts <dir>', 'where the stage reports and certification.md are written', 'artifacts')
    .addOption(new Option('--format <format>', 'format of the summary on stdout (progress goes to stderr unless text)').choices(['text', 'json', 'markdown']).default('text'))
    .option('--keep', 'leave everything running after the certification, until Ctrl-C')
    .action((flags: Flags) => run(() => runDemo(flags)));
}

async function runDemo(flags: Flags): Promise<number> {
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const artifacts = resolve(flags.artifacts);
  mkdirSync(artifacts, { recursive: true });
  const certificationFile = join(artifacts, 'certification.md');
  const out = flags.format === 'text' ? process.stdout : process.stderr;
  const paint = new Chalk({ level: useColor(out) ? 1 : 0 });

  // Set before anything starts, so every process of the run inherits it, PostgreSQL's included.
  const runId = newRunId();
  process.env[RUN_MARKER] = runId;
  const inventory: Inventory = { runId, demoPid: process.pid, marker: RUN_MARKER, folder: null, processes: [], ports: [] };
  const saveInventory = () => writeFileSync(join(artifacts, 'demo-environment.json'), `${JSON.stringify(inventory, null, 2)}\n`);
  saveInventory();

  const redaction = { redact: secretRedactor([]) };
  const write = (line: string) => out.write(`${redaction.redact(line)}\n`);
  const stack = new CleanupStack();
  const stopping = wireSignals(stack, write);
  // Once a signal is cleaning up, the stages still winding down would only print failures it caused.
  const say = (line: string) => {
    if (!stopping.signalled) write(line);
  };

  try {
    say(paint.bold(`trt demo — the whole loop on this machine (trt ${packageVersion()}); Ctrl-C stops it and cleans up`));
    const { stages, world } = await runStages({ stack, inventory, saveInventory, artifacts, out, paint, say, stopping, redaction });
    const certification = certify(startedAt, Math.round(performance.now() - began), stages, packageVersion());
    const { redact } = redaction;
    writeFileSync(certificationFile, redact(renderMarkdown(certification)));
    const summary = redact(
      flags.format === 'json'
        ? renderJson(certification)
        : flags.format === 'markdown'
          ? renderMarkdown(certification)
          : `\n${renderText(certification, { color: useColor(process.stdout), cwd: process.cwd() })}`,
    );

    if (flags.keep && world) {
      process.stdout.write(summary);
      say(`  certification written to ${displayPath(certificationFile, process.cwd())}`);
      keepRunning(world, say, paint);
      return await stopping.whenSignalled;
    }

    say(`\nstopping the bots, the emulators and PostgreSQL, removing ${inventory.folder ?? 'the temporary folder'} …`);
    const cleanupBegan = performance.now();
    const problems = await stack.stopAll();
    if (stopping.signalled) return await stopping.whenSignalled;
    process.stdout.write(summary);
    say(cleanupLine(problems, performance.now() - cleanupBegan, paint));
    say(`  certification written to ${displayPath(certificationFile, process.cwd())}`);
    return certification.passed && problems.length === 0 ? ExitCode.ok : ExitCode.findings;
  } catch (error) {
    if (stopping.signalled || error instanceof DemoInterrupted) return await stopping.whenSignalled;
    throw error;
  } finally {
    if (!stopping.signalled) await stack.stopAll();
  }
}

interface StagesContext {
  stack: CleanupStack;
  inventory: Inventory;
  saveInventory: () => void;
  artifacts: string;
  out: NodeJS.WriteStream;
  paint: ChalkInstance;
  say: (line: string) => void;
  stopping: Stopping;
  /** Replaced once the environment's secrets exist: everything printed or written passes through it. */
  redaction: { redact: (text: string) => string };
}

/** The four stages in order; smoke and ops are not run when the environment did not start. */
async function runStages(context: StagesContext): Promise<{ stages: StageResult[]; world: DemoEnvironment | null }> {
  const { stack, inventory, out, paint, say, stopping, redaction } = context;
  const root = packageRoot();
  const stages: StageResult[] = [];
  const record = (stage: StageResult) => {
    stages.push(stage);
    sayResult(say, paint, stage);
  };

  say(`\n[1/${STAGES}] environment: embedded PostgreSQL, the Telegram, KIE and Render emulators, an ACTIVE and a PASSIVE bot`);
  const secrets = generateSecrets();
  redaction.redact = secretRedactor(Object.values(secrets));
  const { stage: environmentStage, world } = await startWorld(stack, {
    runId: inventory.runId,
    secrets,
    inventory,
    onInventory: context.saveInventory,
    onStep: (line) => say(`  ${line}`),
  });
  if (world) redaction.redact = secretRedactor(world.secretValues);
  record(environmentStage);
  const sink: ReportSink = { directory: context.artifacts, redact: (text) => redaction.redact(text) };

  say(`\n[2/${STAGES}] verify: trt verify on ${root}`);
  record(await runVerifyStage(root, sink));

  if (!world) {
    stages.push(notRun('smoke'), notRun('ops'));
    return { stages, world };
  }
  const truth = loadTruth(join(root, 'product', 'truth.yaml')).truth;
  const restoreEnv = exportBotEnvironment(world);
  try {
    say(`\n[3/${STAGES}] smoke: S0–S8 against the ACTIVE ${world.active.url}, S4 on the PASSIVE ${world.passive.url}, S5 generating, S8 spawning a third bot`);
    const progress = createTextProgress(out, { color: useColor(out), tty: out.isTTY === true });
    const hooks: RunHooks = {
      onStart: (scenario) => {
        if (!stopping.signalled) progress.start(scenario.id, scenario.title);
      },
      onEnd: (result) => {
        if (!stopping.signalled) progress.end(result);
      },
    };
    record(await runSmokeStage({ world, root, truth, sink, hooks }));

    say(`\n[4/${STAGES}] ops: trt ops snapshot over the bots' own logs and the demo database`);
    record(await runOpsStage({ world, root, truth, sink }));
  } finally {
    restoreEnv();
  }
  return { stages, world };
}

interface WorldStart {
  stage: EnvironmentStage;
  world: DemoEnvironment | null;
}

/** The environment as a stage: a start that fails is the stage's verdict, with what was started stopped by the caller. */
async function startWorld(stack: CleanupStack, options: Parameters<typeof startEnvironment>[1]): Promise<WorldStart> {
  const began = performance.now();
  try {
    const world = await startEnvironment(stack, options);
    return {
      world,
      stage: {
        stage: 'environment',
        status: 'pass',
        reason: `PostgreSQL ${world.database.target}, ACTIVE ${world.active.url}, PASSIVE ${world.passive.url}, 3 emulators`,
        durationMs: Math.round(performance.now() - began),
        reports: [],
        postgres: world.database.target,
        active: world.active.url,
        passive: world.passive.url,
        emulators: { telegram: world.telegram.apiRoot, kie: world.kie.apiRoot, render: world.render.apiRoot },
      },
    };
  } catch (error) {
    if (error instanceof DemoInterrupted || stack.stopping) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return {
      world: null,
      stage: { stage: 'environment', status: 'fail', reason, durationMs: Math.round(performance.now() - began), reports: [], postgres: null, active: null, passive: null, emulators: null },
    };
  }
}

function notRun(stage: 'smoke'): SmokeStage;
function notRun(stage: 'ops'): OpsStage;
function notRun(stage: 'smoke' | 'ops'): SmokeStage | OpsStage {
  const base = { status: 'not-run' as const, reason: 'the environment did not start', durationMs: 0, reports: [] };
  return stage === 'smoke'
    ? { ...base, stage, scenarios: [], summary: { passed: 0, failed: 0, skipped: 0 } }
    : { ...base, stage, logLines: null, dbChecks: null, found: 0, top: [], unavailable: {} };
}

interface Stopping {
  readonly signalled: boolean;
  /** Settles with the exit code once a signal's cleanup is done (the process exits right after). */
  readonly whenSignalled: Promise<number>;
}

/**
 * SIGINT and SIGTERM stop everything and exit with 130 / 143; a second signal kills what is
 * left at once. The process 'exit' is the last resort for an exit nobody planned.
 */
function wireSignals(stack: CleanupStack, say: (line: string) => void): Stopping {
  let signalled: NodeJS.Signals | null = null;
  let firstAt = 0;
  let settle: (code: number) => void = () => undefined;
  const whenSignalled = new Promise<number>((resolve) => (settle = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    const code = SIGNAL_EXIT[signal] ?? ExitCode.findings;
    if (signalled) {
      if (performance.now() - firstAt < SAME_SIGNAL_WITHIN_MS) return;
      say(`${signal} again: killing what is left without waiting`);
      stack.killAll();
      process.exit(code);
    }
    signalled = signal;
    firstAt = performance.now();
    say(`\n${signal}: stopping the bots, the emulators and PostgreSQL and removing the temporary folder (${signal} again to kill at once) …`);
    void stack.stopAll().then((problems) => {
      for (const problem of problems) say(`  could not stop ${problem.what}: ${problem.message}`);
      say(problems.length === 0 ? 'stopped: nothing of the demo is left running' : 'stopped, with the problems above');
      settle(code);
      process.exit(code);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => stack.killAll());
  return {
    get signalled() {
      return signalled !== null;
    },
    whenSignalled,
  };
}

function sayResult(say: (line: string) => void, paint: ChalkInstance, stage: StageResult): void {
  const mark = stage.status === 'pass' ? paint.green('✔') : stage.status === 'fail' ? paint.red('✖') : paint.yellow('–');
  say(`  ${mark} ${stage.stage} ${stage.status === 'pass' ? 'passed' : stage.status === 'fail' ? 'FAILED' : 'not run'} in ${seconds(stage.durationMs)}: ${stage.reason}`);
}

function cleanupLine(problems: StopProblem[], ms: number, paint: ChalkInstance): string {
  if (problems.length === 0) return paint.dim(`cleaned up in ${seconds(ms)}: no demo process, port or temporary folder is left`);
  return paint.red(`cleanup could not stop everything: ${problems.map((problem) => `${problem.what}: ${problem.message}`).join('; ')}`);
}

/**
 * --keep: the URLs to play with and how to stop. The secrets are in a file only its owner can
 * read, inside the temporary folder, never on the terminal.
 */
function keepRunning(world: DemoEnvironment, say: (line: string) => void, paint: ChalkInstance): void {
  const envFile = join(world.folder, 'demo.env');
  const exported: Record<string, string> = { ...world.botEnv, RENDER_API_ROOT: world.render.apiRoot, RENDER_API_KEY: world.secrets.renderApiKey, RENDER_OWNER_ID: world.render.ownerId, RENDER_SERVICE_ID: world.render.serviceId };
  delete exported[RUN_MARKER];
  writeFileSync(envFile, Object.entries(exported).map(([name, value]) => `${name}=${shellQuote(value)}\n`).join(''), { mode: 0o600 });
  say('');
  say(paint.bold(`--keep: everything is still running. Press Ctrl-C here (or kill -TERM ${process.pid}) to stop it all and remove the temporary data.`));
  say(`  ACTIVE bot         ${world.active.url}  (pid ${world.active.pid})`);
  say(`  PASSIVE bot        ${world.passive.url}  (pid ${world.passive.pid})`);
  say(`  PostgreSQL         ${world.database.target}`);
  say(`  Telegram emulator  ${world.telegram.apiRoot}`);
  say(`  KIE emulator       ${world.kie.apiRoot}`);
  say(`  Render emulator    ${world.render.apiRoot}`);
  say(`  bots' log          ${world.logFile}`);
  say(`  secrets            ${envFile} (mode 0600); e.g. set -a; . ${envFile}; set +a; npx trt smoke --url ${world.active.url} --passive-url ${world.passive.url}`);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
