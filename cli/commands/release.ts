/**
 * `trt release` and `trt release status` (SPEC §7): the release gate walks `release.steps`
 * (verify → test → smoke → deploy → watch → tag), stops at the first failed gate and writes the
 * report; `status` judges the definition of done from the ledger of releases.
 */
import { join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode, TrtError } from '../core/errors.js';
import { secretRedactor } from '../core/redact.js';
import { useColor } from '../core/terminal.js';
import { loadTruth, truthPathFor } from '../core/truth.js';
import { gitFacts } from '../release/git.js';
import type { ReleaseReport } from '../release/model.js';
import { planRelease, type ReleasePlan } from '../release/plan.js';
import { createReleaseProgress, type ReleaseProgress } from '../release/progress.js';
import { LEDGER_FILE, renderReleaseJson, renderReleaseMarkdown, writeReleaseReport } from '../release/report.js';
import { ReleaseRun } from '../release/run.js';
import { resolveReleaseSettings, type ReleaseFlags } from '../release/settings.js';
import { DEFAULT_CONSECUTIVE_CLEAN, describeDone, evaluateDone, readLedger } from '../release/status.js';

type Format = 'text' | 'json' | 'markdown';

interface Flags extends ReleaseFlags {
  root: string;
  truth?: string;
  format: Format;
  artifacts: string;
  dryRun?: boolean;
}

interface StatusFlags {
  root: string;
  truth?: string;
  format: 'text' | 'json';
  artifacts: string;
}

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

export function registerRelease(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const release = program
    .command('release')
    .description('release gate: the steps of release.steps (verify → test → smoke → deploy → watch → tag), stopping at the first failure')
    .option('--url <url>', 'the live service smoke checks (the ACTIVE instance); with a deploy hook, where the new version is seen')
    .option('--passive-url <url>', 'the standby (PASSIVE) instance, for smoke S4')
    .option('--allow-mutations', 'let smoke S5 generate for the smoke chat')
    .option('--spawn <command>', 'for smoke S8: start this command (it gets PORT) and time its cold start')
    .option('--watch <duration>', 'how long to watch the logs after the deploy, e.g. 2m (default: release.watch_minutes)')
    .option('--skip <steps>', 'skip these steps, comma-separated (e.g. deploy,watch): recorded as skipped, and the release is not clean')
    .option('--deploy-timeout <duration>', 'how long the deploy may take to go live', '20m')
    .option('--push', 'push the tag to origin')
    .option('--root <dir>', 'repository root (the git repository released)', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--artifacts <dir>', 'where the reports and releases.jsonl are written (relative to the root)', 'artifacts')
    .option('--dry-run', 'print the plan (each step, its targets, what is missing) and run nothing')
    .action((flags: Flags) => run(() => releaseAction(flags)));

  release
    .command('status')
    .description('the definition of done: consecutive clean releases in releases.jsonl against release.definition_of_done')
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--artifacts <dir>', 'where releases.jsonl is (relative to the root)', 'artifacts')
    .action((flags: StatusFlags) => run(async () => statusAction(flags)));
}

async function releaseAction(flags: Flags): Promise<number> {
  const root = resolve(flags.root);
  const truthPath = truthPathFor(root, flags.truth);
  const truth = loadTruth(truthPath).truth;
  const settings = resolveReleaseSettings(truth, truthPath, flags, root);
  const redact = secretRedactor(settings.secretValues);
  const git = await gitFacts(root);
  const plan = await planRelease(settings, git);
  if (flags.dryRun) {
    process.stdout.write(redact(flags.format === 'json' ? `${JSON.stringify({ dryRun: true, ready: plan.problems.length === 0, ...plan }, null, 2)}\n` : renderPlan(plan, root)));
    return plan.problems.length === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (plan.problems.length > 0) {
    throw new TrtError(
      'RELEASE_PRECONDITION',
      `trt release cannot start: ${plan.problems.length} problem${plan.problems.length === 1 ? '' : 's'}, so no gate ran and nothing was deployed or tagged`,
      'fix them, or leave a step out with --skip STEP (the release is then not clean); --dry-run shows the whole plan',
      plan.problems.map(redact),
    );
  }

  // A json or markdown document on stdout stays one document: the progress goes to stderr then.
  const stream = flags.format === 'text' ? process.stdout : process.stderr;
  const progress: ReleaseProgress = createReleaseProgress(stream, { color: useColor(stream), tty: (stream as { isTTY?: boolean }).isTTY === true });
  const releaseRun = new ReleaseRun(settings, git.commit!, {
    onStart: (name, title) => progress.start(name, title),
    onNote: (name, text) => progress.note(name, text),
    onEnd: (gate) => progress.end(gate),
  });
  const shown = (paths: string[]) => paths.map((path) => relative(process.cwd(), path) || path);
  // Ctrl-C still leaves a report and a ledger line; process.exit runs the exit hook that stops a --spawn'ed service.
  const interrupt = (signal: 'SIGINT' | 'SIGTERM') => {
    const report = releaseRun.abort(signal);
    progress.finish(report, shown(writeReleaseReport(settings.artifactsDir, report)));
    printDocument(report, flags.format);
    process.exit(SIGNAL_EXIT[signal]);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const report = await releaseRun.run();
    const written = writeReleaseReport(settings.artifactsDir, report);
    progress.finish(report, shown(written));
    printDocument(report, flags.format);
    return report.outcome === 'released' ? ExitCode.ok : ExitCode.findings;
  } finally {
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
  }
}

function printDocument(report: ReleaseReport, format: Format): void {
  if (format === 'json') process.stdout.write(renderReleaseJson(report));
  if (format === 'markdown') process.stdout.write(renderReleaseMarkdown(report));
}

function statusAction(flags: StatusFlags): number {
  const root = resolve(flags.root);
  const truth = loadTruth(truthPathFor(root, flags.truth)).truth;
  const needed = truth.release?.definition_of_done?.consecutive_clean_releases ?? DEFAULT_CONSECUTIVE_CLEAN;
  const ledger = join(resolve(root, flags.artifacts), LEDGER_FILE);
  const status = evaluateDone(readLedger(ledger), needed);
  process.stdout.write(flags.format === 'json' ? `${JSON.stringify({ ledger: relative(root, ledger), ...status }, null, 2)}\n` : `${describeDone(status)}\n`);
  return status.done ? ExitCode.ok : ExitCode.findings;
}

function renderPlan(plan: ReleasePlan, root: string): string {
  const lines = [`trt release --dry-run: nothing is run, deployed or tagged. Commit ${plan.commit ?? '(none)'} in ${root}:`, ''];
  plan.steps.forEach((step, index) => {
    lines.push(`${index + 1}. ${step.name} — ${step.title}${step.skipped ? ' (skipped with --skip: the release will not be clean)' : ''}`);
    lines.push(`     would: ${step.does}`);
    lines.push(`     target: ${step.targets.join('; ')}`);
    for (const problem of step.problems) lines.push(`     missing: ${problem}`);
  });
  lines.push('');
  if (plan.problems.length === 0) lines.push('ready: every step can run; nothing after a failed step would run.');
  else lines.push(`not ready: ${plan.problems.length} problem${plan.problems.length === 1 ? '' : 's'} (a real run would stop before the first gate):`, ...plan.problems.map((problem) => `  - ${problem}`));
  return `${lines.join('\n')}\n`;
}
