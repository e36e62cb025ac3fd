/**
 * The shapes of `trt release`: gates, their analysis metrics and the report
 * (schemas/release-report.schema.json). A metric records what was measured, the target, whether
 * the target was violated and when it was measured — the shape of Keptn's and Argo Rollouts'
 * analysis results — so a release can be audited long after it ran.
 */

/** The steps truth.yaml `release.steps` may list, in the order SPEC §7 gives them. */
export const STEP_NAMES = ['verify', 'test', 'smoke', 'deploy', 'watch', 'tag'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export type GateStatus = 'pass' | 'fail' | 'skip';

/** How a release ended: every gate run passed, a gate failed, or the run was stopped before a verdict. */
export type Outcome = 'released' | 'failed' | 'aborted';

export interface Metric {
  name: string;
  measured: number | string | boolean | null;
  /** The condition measured must meet, e.g. `= 0`, `live`, `≤ 1200000 ms`. */
  target: string;
  violated: boolean;
  /** ISO 8601: when it was measured. */
  at: string;
}

/** What a gate decided, before the runner adds its name and timings. */
export interface GateVerdict {
  status: 'pass' | 'fail';
  reason: string;
  metrics: Metric[];
  evidence: Record<string, unknown>;
}

export interface GateResult {
  name: StepName;
  status: GateStatus;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  reason: string;
  metrics: Metric[];
  evidence: Record<string, unknown>;
}

/** One release: the JSON report and one line of artifacts/releases.jsonl. */
export interface ReleaseReport {
  /** `release-<stamp>`: also the report files' base name. */
  id: string;
  startedAt: string;
  finishedAt: string;
  /** The commit the gates checked (and the tag points at). */
  commit: string;
  tag: string | null;
  outcome: Outcome;
  /** Released with every step of release.steps passed: none skipped, none failed. */
  clean: boolean;
  gates: GateResult[];
}

/** A metric measured now. */
export function metric(name: string, measured: Metric['measured'], target: string, violated: boolean): Metric {
  return { name, measured, target, violated, at: new Date().toISOString() };
}
