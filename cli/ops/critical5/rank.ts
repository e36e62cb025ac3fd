/**
 * The cut to five: the issues that hurt most across the five axes come first. Ties go to the
 * higher priority, then to the issue seen more often, then to the id, so the order is the same
 * on every run over the same evidence.
 */
import type { Critical5, Issue, LogWindow, Priority } from '../model.js';

export const TOP = 5;

const PRIORITY_ORDER: Readonly<Record<Priority, number>> = { P0: 0, P1: 1, P2: 2 };

export function compareIssues(a: Issue, b: Issue): number {
  return (
    b.total - a.total ||
    PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] ||
    b.evidence.count - a.evidence.count ||
    a.id.localeCompare(b.id) ||
    a.title.localeCompare(b.title)
  );
}

export function rankIssues(issues: readonly Issue[], context: { generatedAt: string; window: LogWindow | null }): Critical5 {
  return { generatedAt: context.generatedAt, window: context.window, found: issues.length, top: [...issues].sort(compareIssues).slice(0, TOP) };
}

/** Whether the top five hold something that must be acted on now: the exit code 1 of critical5 and snapshot. */
export function hasUrgent(critical5: Critical5): boolean {
  return critical5.top.some((issue) => issue.priority === 'P0' || issue.priority === 'P1');
}
