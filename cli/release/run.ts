/**
 * Runs a release: the steps of `release.steps` in order, each gate timed and its verdict
 * redacted, stopping at the first gate that fails — the steps after it are recorded as not run,
 * so nothing is deployed or tagged after a failure. Steps named by --skip are recorded as
 * skipped and make the release not clean. The caller checks the plan first (./plan.ts) and
 * writes the report (./report.ts).
 *
 * @example
 * ```ts
 * const release = new ReleaseRun(settings, commit, { onEnd: (gate) => console.log(gate.name, gate.status) });
 * const report = await release.run();
 * ```
 */
import { fileStamp } from '../core/artifacts.js';
import { describeError, TrtError } from '../core/errors.js';
import { redactJson, secretRedactor } from '../core/redact.js';
import type { GateContext, ReleaseState } from './gates/gate.js';
import { GATES } from './gates/index.js';
import type { GateResult, GateVerdict, Outcome, ReleaseReport, StepName } from './model.js';
import { reportFiles } from './report.js';
import type { ReleaseSettings } from './settings.js';

export interface ReleaseHooks {
  onStart?: (name: StepName, title: string) => void;
  onNote?: (name: StepName, text: string) => void;
  onEnd?: (gate: GateResult) => void;
}

export class ReleaseRun {
  readonly id: string;
  readonly startedAt: string;
  private readonly gates: GateResult[] = [];
  private readonly state: ReleaseState;
  private readonly redact: (text: string) => string;
  private running: { name: StepName; startedAt: string; startedMs: number } | null = null;
  /** The gate that could not run (it threw) rather than judged the release. */
  private couldNotRun = false;

  constructor(
    private readonly settings: ReleaseSettings,
    commit: string,
    private readonly hooks: ReleaseHooks = {},
    now = new Date(),
  ) {
    this.startedAt = now.toISOString();
    this.id = `release-${fileStamp(this.startedAt)}`;
    this.redact = secretRedactor(settings.secretValues);
    this.state = { releaseId: this.id, commit, liveAt: null, deployId: null, reportFile: reportFiles(settings.root, settings.artifactsDir, this.startedAt).json, passed: [], tag: null };
  }

  async run(): Promise<ReleaseReport> {
    let failedAt: StepName | null = null;
    for (const name of this.settings.steps) {
      if (failedAt !== null) {
        this.record(skipped(name, `not run: ${failedAt} failed before it`));
        continue;
      }
      if (this.settings.skipped.has(name)) {
        this.record(skipped(name, 'skipped with --skip'));
        continue;
      }
      const result = await this.runGate(name);
      this.record(result);
      if (result.status === 'fail') failedAt = name;
      else this.state.passed.push(name);
    }
    return this.report(failedAt === null ? 'released' : this.couldNotRun ? 'aborted' : 'failed');
  }

  /** The report of a run stopped from outside (a signal): the gate running then fails as interrupted. */
  abort(why: string): ReleaseReport {
    if (this.running !== null) {
      const { name, startedAt, startedMs } = this.running;
      this.gates.push({ name, status: 'fail', startedAt, durationMs: Math.round(performance.now() - startedMs), reason: `interrupted: ${why}`, metrics: [], evidence: {} });
      this.running = null;
    }
    const done = new Set(this.gates.map((gate) => gate.name));
    for (const name of this.settings.steps) if (!done.has(name)) this.gates.push(skipped(name, `not run: the release was interrupted (${why})`));
    return this.report('aborted');
  }

  private async runGate(name: StepName): Promise<GateResult> {
    const gate = GATES[name];
    const startedAt = new Date().toISOString();
    const startedMs = performance.now();
    this.running = { name, startedAt, startedMs };
    this.hooks.onStart?.(name, gate.title);
    const context: GateContext = { settings: this.settings, state: this.state, redact: this.redact, note: (text) => this.hooks.onNote?.(name, this.redact(text)) };
    let verdict: GateVerdict;
    try {
      verdict = await gate.run(context);
    } catch (error) {
      this.couldNotRun = true;
      verdict = { status: 'fail', reason: `could not run: ${describeError(error)}`, metrics: [], evidence: error instanceof TrtError || !(error instanceof Error) ? {} : { stack: error.stack ?? '' } };
    }
    this.running = null;
    return redactJson({ name, startedAt, durationMs: Math.round(performance.now() - startedMs), ...verdict }, this.redact);
  }

  private record(result: GateResult): void {
    this.gates.push(result);
    this.hooks.onEnd?.(result);
  }

  private report(outcome: Outcome): ReleaseReport {
    return {
      id: this.id,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      commit: this.state.commit,
      tag: this.state.tag,
      outcome,
      clean: outcome === 'released' && this.gates.every((gate) => gate.status === 'pass'),
      gates: [...this.gates],
    };
  }
}

function skipped(name: StepName, reason: string): GateResult {
  return { name, status: 'skip', startedAt: new Date().toISOString(), durationMs: 0, reason, metrics: [], evidence: {} };
}
