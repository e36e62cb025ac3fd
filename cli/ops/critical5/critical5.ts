/**
 * critical5 and the snapshot as pure functions of what was read: log lines and a database
 * report in, scored issues and the combined summary out. The CLI and the bot's
 * `GET /admin/ops/snapshot` both build their answers here, so they always agree.
 *
 * @example
 * ```ts
 * const snapshot = buildSnapshot({ truth, logs: fetch, db: report, now: new Date(), redact });
 * ```
 */
import { redactJson } from '../../core/redact.js';
import type { Truth } from '../../core/truth.js';
import type { Critical5, DbReport, LogFetch, Snapshot, Unavailable } from '../model.js';
import { detectDbIssues } from './db-detectors.js';
import { detectLogIssues } from './log-detectors.js';
import { rankIssues } from './rank.js';

export interface Critical5Input {
  truth: Truth;
  /** null: the logs were not read (--no-logs, or the source was unavailable). */
  logs: LogFetch | null;
  /** null: the database was not checked. */
  db: DbReport | null;
  now: Date;
  /** Applied to every string of the result: nothing unredacted leaves these functions. */
  redact: (text: string) => string;
  errorBurstMin?: number;
  /** Why a source is missing; recorded in the result so a JSON reader knows what was not looked at. */
  unavailable?: Unavailable;
}

export function buildCritical5(input: Critical5Input): Critical5 {
  const { truth, logs, db, redact } = input;
  const issues = [
    ...(logs ? detectLogIssues(logs.lines, truth, { redact, ...(input.errorBurstMin === undefined ? {} : { errorBurstMin: input.errorBurstMin }) }) : []),
    ...(db ? detectDbIssues(db, truth, { redact }) : []),
  ];
  return redactJson({ ...rankIssues(issues, { generatedAt: input.now.toISOString(), window: logs?.window ?? null }), ...missing(input.unavailable) }, redact);
}

export function buildSnapshot(input: Critical5Input): Snapshot {
  const { logs, db, redact } = input;
  return redactJson(
    {
      generatedAt: input.now.toISOString(),
      logs: logs ? { source: logs.source, window: logs.window, lines: logs.lines.length, byLevel: countByLevel(logs) } : null,
      db,
      critical5: buildCritical5({ ...input, unavailable: {} }),
      ...missing(input.unavailable),
    },
    redact,
  );
}

function missing(unavailable: Unavailable | undefined): { unavailable?: Unavailable } {
  return unavailable && (unavailable.logs !== undefined || unavailable.db !== undefined) ? { unavailable } : {};
}

/** Lines per level; a line whose source names no level counts as `unknown`. */
function countByLevel(logs: LogFetch): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of logs.lines) {
    const level = line.level ?? 'unknown';
    counts[level] = (counts[level] ?? 0) + 1;
  }
  return counts;
}
