/**
 * `trt release status`: the definition of done (`release.definition_of_done`) judged from the
 * ledger artifacts/releases.jsonl — the trailing run of releases that were released clean,
 * against `consecutive_clean_releases` (default 5). A release that failed, was aborted or skipped
 * a step ends the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { TrtError } from '../core/errors.js';
import type { ReleaseReport } from './model.js';

export const DEFAULT_CONSECUTIVE_CLEAN = 5;

export interface DoneStatus {
  done: boolean;
  needed: number;
  /** Clean releases since the last one that was not. */
  consecutiveClean: number;
  releases: number;
  /** The newest release that was not clean, or null when there is none. */
  lastBreak: { id: string; outcome: ReleaseReport['outcome']; gate: string | null; skipped: string[]; at: string } | null;
}

/** The releases in the ledger, oldest first; an unreadable line is a TrtError naming it. */
export function readLedger(path: string): ReleaseReport[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new TrtError('RELEASE_LEDGER', `${path}:${number} is not JSON`, 'each line is one release report written by trt release; remove or repair the broken line');
      }
      const release = value as Partial<ReleaseReport>;
      if (typeof release.id !== 'string' || typeof release.clean !== 'boolean' || typeof release.outcome !== 'string' || !Array.isArray(release.gates)) {
        throw new TrtError('RELEASE_LEDGER', `${path}:${number} is not a release report (id, outcome, clean and gates are needed)`, 'each line is one release report written by trt release (schemas/release-report.schema.json)');
      }
      return release as ReleaseReport;
    });
}

export function evaluateDone(releases: readonly ReleaseReport[], needed: number): DoneStatus {
  let consecutiveClean = 0;
  while (consecutiveClean < releases.length && isClean(releases[releases.length - 1 - consecutiveClean]!)) consecutiveClean++;
  const breaking = releases[releases.length - 1 - consecutiveClean];
  return {
    done: consecutiveClean >= needed,
    needed,
    consecutiveClean,
    releases: releases.length,
    lastBreak:
      breaking === undefined
        ? null
        : {
            id: breaking.id,
            outcome: breaking.outcome,
            gate: breaking.gates.find((gate) => gate.status === 'fail')?.name ?? null,
            skipped: breaking.gates.filter((gate) => gate.status === 'skip').map((gate) => gate.name),
            at: breaking.finishedAt,
          },
  };
}

/** `done: 5 consecutive clean releases (needed 5)` or `not done: 3 of 5 (the last failure: <id> at <gate>)`. */
export function describeDone(status: DoneStatus): string {
  if (status.done) return `done: ${status.consecutiveClean} consecutive clean releases (needed ${status.needed})`;
  const last = status.lastBreak;
  const why =
    last === null
      ? status.releases === 0
        ? 'no releases yet'
        : 'every release so far was clean'
      : last.gate !== null
        ? `the last failure: ${last.id} at ${last.gate}`
        : `the last unclean release: ${last.id}, skipped ${last.skipped.join(', ')}`;
  return `not done: ${status.consecutiveClean} of ${status.needed} (${why})`;
}

function isClean(release: ReleaseReport): boolean {
  return release.outcome === 'released' && release.clean;
}
