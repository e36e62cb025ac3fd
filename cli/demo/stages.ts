/**
 * The demo's three gates, each the engine of its command run in this process: `trt verify` on
 * the repository, `trt smoke` with every scenario against the demo's bots, `trt ops snapshot`
 * over the bots' own logs and the demo database. Each returns its stage result for the
 * certification and writes the same reports its command writes under the artifacts folder.
 *
 * A stage never throws for what it found or could not reach: that is its verdict. A failure
 * that is not a TrtError is a trt bug; it fails the stage too, and its stack goes to stderr.
 */
import { writeArtifacts } from '../core/artifacts.js';
import { describeError, TrtError } from '../core/errors.js';
import { packageFile } from '../core/package-root.js';
import { secretValuesFrom } from '../core/redact.js';
import type { Truth } from '../core/truth.js';
import { buildSnapshot } from '../ops/critical5/critical5.js';
import { renderSnapshotJson, renderSnapshotMarkdown } from '../ops/critical5/render.js';
import { hasUrgent } from '../ops/critical5/rank.js';
import { readSources } from '../ops/critical5/sources.js';
import type { CheckStatus, Unavailable } from '../ops/model.js';
import { renderJson as renderSmokeJson } from '../smoke/reporters/json.js';
import { renderJunit } from '../smoke/reporters/junit.js';
import { renderMarkdown as renderSmokeMarkdown } from '../smoke/reporters/markdown.js';
import { runSmoke, type RunHooks } from '../smoke/runner.js';
import { SCENARIO_IDS } from '../smoke/scenario-ids.js';
import { resolveSmokeSettings } from '../smoke/settings.js';
import { verify } from '../verify/engine.js';
import { renderJson as renderVerifyJson } from '../verify/reporters/json.js';
import type { OpsStage, SmokeStage, VerifyStage } from './certification.js';
import type { DemoEnvironment } from './environment.js';

/** Where the stages write their reports, and how every byte of them is cleaned of secrets. */
export interface ReportSink {
  directory: string;
  redact: (text: string) => string;
}

/** How many failed scenarios the smoke line names; the table under it has them all. */
const FAILURES_NAMED = 2;
const FINDINGS_KEPT = 5;

export async function runVerifyStage(root: string, sink: ReportSink): Promise<VerifyStage> {
  const began = performance.now();
  const base = { stage: 'verify' as const, errors: 0, warnings: 0, files: 0, rules: 0, findings: [], reports: [] };
  try {
    const result = await verify({ root });
    const { errors, warnings, files } = result.summary;
    const figures = `${errors} error${plural(errors)}, ${warnings} warning${plural(warnings)} in ${files} files, ${result.rules.length} rules`;
    const reports = writeArtifacts(sink.directory, 'verify', new Date().toISOString(), [{ ext: 'json', content: sink.redact(renderVerifyJson(result)) }]);
    return {
      ...base,
      status: errors === 0 ? 'pass' : 'fail',
      reason: errors === 0 ? figures : `${figures}: run \`npx trt verify\` for every finding with its fix`,
      durationMs: elapsed(began),
      errors,
      warnings,
      files,
      rules: result.rules.length,
      findings: result.findings
        .filter((finding) => finding.severity === 'error')
        .slice(0, FINDINGS_KEPT)
        .map(({ rule, file, line, column, message }) => ({ rule, file, line, column, message: sink.redact(message) })),
      reports,
    };
  } catch (error) {
    return { ...base, status: 'fail', reason: failureReason(error, sink.redact), durationMs: elapsed(began) };
  }
}

export interface SmokeStageOptions {
  world: DemoEnvironment;
  root: string;
  truth: Truth;
  sink: ReportSink;
  hooks?: RunHooks;
}

/**
 * Every scenario, each required (a skip fails the stage): S4 on the PASSIVE, S5 allowed to
 * generate, S8 spawning a third bot. S8's bot gets this process's environment (see
 * {@link exportBotEnvironment}) and its PORT from trt.
 */
export async function runSmokeStage(options: SmokeStageOptions): Promise<SmokeStage> {
  const { world, sink } = options;
  const began = performance.now();
  const base = { stage: 'smoke' as const, scenarios: [], summary: { passed: 0, failed: 0, skipped: 0 }, reports: [] };
  try {
    const settings = resolveSmokeSettings(
      options.truth,
      {
        url: world.active.url,
        passiveUrl: world.passive.url,
        allowMutations: true,
        spawn: `"${process.execPath}" "${packageFile('dist/bot/main.js')}"`,
        require: [...SCENARIO_IDS],
      },
      options.root,
      process.env,
    );
    const report = await runSmoke(settings, options.hooks);
    const reports = writeArtifacts(sink.directory, 'smoke', report.startedAt, [
      { ext: 'json', content: sink.redact(renderSmokeJson(report)) },
      { ext: 'md', content: sink.redact(renderSmokeMarkdown(report)) },
      { ext: 'junit.xml', content: sink.redact(renderJunit(report)) },
    ]);
    const { passed, failed, skipped } = report.summary;
    const notPassed = report.scenarios.filter((scenario) => scenario.status !== 'pass');
    const figures = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    const named = notPassed.slice(0, FAILURES_NAMED).map((scenario) => `${scenario.id} ${scenario.status === 'fail' ? 'failed' : 'skipped'}: ${scenario.reason}`);
    const more = notPassed.length > FAILURES_NAMED ? `; ${notPassed.length - FAILURES_NAMED} more in the table` : '';
    return {
      ...base,
      status: notPassed.length === 0 ? 'pass' : 'fail',
      reason: sink.redact(notPassed.length === 0 ? `${figures}, S0–S8 against the ACTIVE and PASSIVE bots` : `${figures} — ${named.join('; ')}${more}`),
      durationMs: elapsed(began),
      scenarios: report.scenarios.map(({ id, title, status, reason, durationMs }) => ({ id, title, status, reason: sink.redact(reason), durationMs })),
      summary: report.summary,
      reports,
    };
  } catch (error) {
    return { ...base, status: 'fail', reason: failureReason(error, sink.redact), durationMs: elapsed(began) };
  }
}

export interface OpsStageOptions {
  world: DemoEnvironment;
  root: string;
  truth: Truth;
  sink: ReportSink;
}

/**
 * `trt ops snapshot --source file --file <the bots' log> --url <the demo database>`: passes when
 * both sources were read and the top five hold nothing urgent (no P0 or P1), the exit code 0 of
 * the command.
 */
export async function runOpsStage(options: OpsStageOptions): Promise<OpsStage> {
  const { world, truth, sink } = options;
  const began = performance.now();
  const now = new Date();
  const secretValues = [...world.secretValues, ...secretValuesFrom([...(truth.env?.secret ?? []), 'RENDER_API_KEY'])];
  const base = { stage: 'ops' as const, logLines: null, dbChecks: null, found: 0, top: [], reports: [] };
  let unavailable: Unavailable = {};
  try {
    const sources = await readSources({
      logs: { source: 'file', file: world.logFile, env: process.env, now, secretValues },
      db: { url: world.database.url, truth, root: options.root },
      now,
      redact: sink.redact,
    });
    const { logs, db } = sources;
    unavailable = sources.unavailable;
    const snapshot = buildSnapshot({ truth, logs, db, now, redact: sink.redact, unavailable });
    const dbChecks = db ? db.checks.filter((check) => check.status !== 'unavailable').length : null;
    const context = { dbChecks, unavailable };
    const reports = writeArtifacts(sink.directory, 'ops-snapshot', snapshot.generatedAt, [
      { ext: 'json', content: sink.redact(renderSnapshotJson(snapshot)) },
      { ext: 'md', content: sink.redact(renderSnapshotMarkdown(snapshot, context)) },
    ]);
    const { critical5 } = snapshot;
    const top = critical5.top.map((issue) => ({ id: issue.id, priority: issue.priority, title: issue.title, total: issue.total, count: issue.evidence.count, action: issue.action }));
    const read = [logs ? `${logs.lines.length} log lines` : null, dbChecks === null ? null : `${dbChecks} database checks`].filter((part) => part !== null).join(' and ');
    const missing = [unavailable.logs ? `logs not read: ${unavailable.logs}` : null, unavailable.db ? `database not checked: ${unavailable.db}` : null].filter((part) => part !== null);
    const urgent = hasUrgent(critical5);
    const issues = top.length === 0 ? 'no problems' : `${critical5.found} issue${plural(critical5.found)}, top ${top.map((issue) => `${issue.priority} ${issue.id}`).join(', ')}`;
    const status = missing.length === 0 && !urgent ? 'pass' : 'fail';
    const why = [...missing, ...(urgent ? ['a P0 or P1 issue is in the top five'] : [])];
    return {
      ...base,
      status,
      reason: `${issues} in ${read || 'nothing'}${why.length > 0 ? ` — ${why.join('; ')}` : ''}`,
      durationMs: elapsed(began),
      logLines: logs ? logs.lines.length : null,
      dbChecks: db ? countStatuses(db.checks.map((check) => check.status)) : null,
      found: critical5.found,
      top,
      unavailable,
      reports,
    };
  } catch (error) {
    return { ...base, status: 'fail', reason: failureReason(error, sink.redact), durationMs: elapsed(began), unavailable };
  }
}

/**
 * The bots' environment in this process for the smoke and ops stages: the smoke settings read
 * the secrets from it and S8's spawned bot inherits it (without PUBLIC_URL, so it registers no
 * webhook, and without a PORT of the user's: trt gives it one). Returns the undo.
 */
export function exportBotEnvironment(world: DemoEnvironment): () => void {
  const names = [...Object.keys(world.botEnv), 'PORT', 'PUBLIC_URL'];
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  Object.assign(process.env, world.botEnv, { LOG_LEVEL: 'warn' });
  delete process.env.PORT;
  delete process.env.PUBLIC_URL;
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

function countStatuses(statuses: readonly CheckStatus[]): Partial<Record<CheckStatus, number>> {
  const counts: Partial<Record<CheckStatus, number>> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

function failureReason(error: unknown, redact: (text: string) => string): string {
  if (error instanceof TrtError) return redact(describeError(error));
  process.stderr.write(redact(`trt: internal error in the demo (please report it)\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
  return redact(`internal error: ${error instanceof Error ? error.message : String(error)}`);
}

function elapsed(began: number): number {
  return Math.round(performance.now() - began);
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}
