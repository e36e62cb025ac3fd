/**
 * What a release gate is: a step name, a plan (what it would run or call, its targets, and what
 * it lacks — the same list that stops a real run before it starts) and a run() that measures,
 * compares with the targets and returns a verdict with its evidence. A gate that cannot run
 * throws; the runner records that as its failure.
 */
import type { GitFacts } from '../git.js';
import type { GateVerdict, StepName } from '../model.js';
import type { ReleaseSettings } from '../settings.js';

export interface PlanContext {
  settings: ReleaseSettings;
  git: GitFacts;
  now: Date;
}

export interface GatePlan {
  /** What the gate would run or call, in one line. */
  does: string;
  /** The targets it would hold the release to. */
  targets: string[];
  /** What is missing for it to run; empty when it can. */
  problems: string[];
}

/** What the gates hand on to the gates after them. */
export interface ReleaseState {
  releaseId: string;
  /** The commit every gate checks and the tag points at. */
  commit: string;
  /** When the deploy went live (ISO), once it has; the watch starts there. */
  liveAt: string | null;
  deployId: string | null;
  /** The JSON report's path relative to the root, named in the tag's message. */
  reportFile: string;
  /** Gates passed so far, in order. */
  passed: StepName[];
  /** The tag the tag gate created. */
  tag: string | null;
}

export interface GateContext {
  settings: ReleaseSettings;
  state: ReleaseState;
  redact: (text: string) => string;
  /** A short live note about the gate's progress (a status, a count) for whoever watches. */
  note(text: string): void;
}

export interface Gate {
  name: StepName;
  title: string;
  plan(context: PlanContext): Promise<GatePlan>;
  run(context: GateContext): Promise<GateVerdict>;
}
