/**
 * What every critical5 detector shares: scores on the five axes, the truth overrides
 * (`observability.detectors.<id>`) applied on top of a detector's defaults, and the cut of
 * sample text. Kept apart so log and database detectors score the same way.
 */
import type { Truth } from '../../core/truth.js';
import { AXES, type Axis, type Issue, type Priority } from '../model.js';

export type Axes = Record<Axis, number>;

/** A detector's verdict before overrides: what it is, how bad, what to do. */
export interface Scoring {
  priority: Priority;
  axes: Axes;
  action: string;
}

/** The longest sample kept: enough for a stack's first line, short enough for a table. */
export const SAMPLE_MAX_CHARS = 300;
export const MAX_SAMPLES = 3;

/** Missing axes score 0: a pattern that names only the axes it hurts. */
export function completeAxes(partial: Partial<Axes> | undefined): Axes {
  return Object.fromEntries(AXES.map((axis) => [axis, partial?.[axis] ?? 0])) as Axes;
}

export function totalOf(axes: Axes): number {
  return AXES.reduce((sum, axis) => sum + axes[axis], 0);
}

/** The detector's defaults with truth's `observability.detectors.<id>` laid over them, field by field. */
export function withOverrides(id: string, defaults: Scoring, truth: Truth): Scoring {
  const override = truth.observability?.detectors?.[id];
  if (!override) return defaults;
  return {
    priority: override.severity ?? defaults.priority,
    axes: { ...defaults.axes, ...override.axes },
    action: override.action ?? defaults.action,
  };
}

/** Assembles an {@link Issue} from a scoring and its evidence; the total is always the sum of the axes. */
export function issueFrom(fields: Omit<Issue, 'priority' | 'axes' | 'total' | 'action'>, scoring: Scoring): Issue {
  return { ...fields, priority: scoring.priority, axes: scoring.axes, total: totalOf(scoring.axes), action: scoring.action };
}

/** Redacts first, then cuts: a cut can never leave the head of a secret behind. */
export function sampleText(text: string, redact: (text: string) => string): string {
  const clean = redact(text).replace(/\s+/g, ' ').trim();
  return clean.length <= SAMPLE_MAX_CHARS ? clean : `${clean.slice(0, SAMPLE_MAX_CHARS - 1)}…`;
}
