/**
 * The plan of a release: every step of `release.steps` with what it would run or call, the targets
 * it holds the release to and what it lacks. `--dry-run` prints it; a real run refuses to start
 * while any step that is not skipped lacks something, so no gate runs (and nothing is deployed)
 * on a release that could not finish.
 */
import { GATES } from './gates/index.js';
import type { GitFacts } from './git.js';
import type { StepName } from './model.js';
import type { ReleaseSettings } from './settings.js';

export interface PlannedStep {
  name: StepName;
  title: string;
  skipped: boolean;
  does: string;
  targets: string[];
  problems: string[];
}

export interface ReleasePlan {
  commit: string | null;
  steps: PlannedStep[];
  /** Every problem that stops the release from starting, each naming its step. */
  problems: string[];
}

export async function planRelease(settings: ReleaseSettings, git: GitFacts, now = new Date()): Promise<ReleasePlan> {
  const steps: PlannedStep[] = [];
  for (const name of settings.steps) {
    const gate = GATES[name];
    const plan = await gate.plan({ settings, git, now });
    steps.push({ name, title: gate.title, skipped: settings.skipped.has(name), ...plan });
  }
  const problems = [
    ...(git.problem === null ? [] : [`git: ${git.problem}`]),
    ...steps.filter((step) => !step.skipped).flatMap((step) => step.problems.map((problem) => `${step.name}: ${problem}`)),
  ];
  return { commit: git.commit, steps, problems };
}
