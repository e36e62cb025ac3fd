/**
 * What a smoke scenario is: an id, a title, what it needs to run, the requests it would send
 * (for --dry-run) and a run() that proves one clause of the contract against a live service.
 * Every scenario ends pass, fail or skip with a reason a release captain can act on and the
 * evidence behind it.
 */
import type { Evidence, SmokeContext } from './context.js';
import type { ScenarioId } from './scenario-ids.js';
import type { SmokeSettings } from './settings.js';

export type ScenarioStatus = 'pass' | 'fail' | 'skip';

/** What a scenario cannot run without; an unmet need skips it with a reason naming the flag or variable. */
export type Need = 'chat-id' | 'webhook-secret' | 'admin-secret' | 'passive-url' | 'allow-mutations' | 'spawn';

export interface Verdict {
  status: 'pass' | 'fail';
  reason: string;
  evidence: Evidence;
}

/** One request a scenario would send, as --dry-run lists it. */
export interface PlannedRequest {
  method: 'GET' | 'POST';
  /** Which service: the main --url, the --passive-url, Telegram's API (read-only) or the spawned process. */
  target: 'url' | 'passive-url' | 'telegram' | 'spawned';
  path: string;
  /** How many times, at most (polls count their upper bound). */
  times: number;
  /** What is sent and why, in a few words. */
  note: string;
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  needs: readonly Need[];
  /** The requests it would send: what `--dry-run` shows; from the settings alone, nothing is sent. */
  plan(settings: SmokeSettings): PlannedRequest[];
  run(context: SmokeContext): Promise<Verdict>;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  status: ScenarioStatus;
  reason: string;
  durationMs: number;
  evidence: Evidence;
}

/** The document `--format json` prints (SPEC §5): schemas/smoke-report.schema.json. */
export interface SmokeReport {
  url: string;
  passiveUrl: string | null;
  /** ISO 8601 time the run began. */
  startedAt: string;
  durationMs: number;
  scenarios: ScenarioResult[];
  summary: { passed: number; failed: number; skipped: number };
}

export function pass(reason: string, evidence: Evidence = {}): Verdict {
  return { status: 'pass', reason, evidence };
}

export function fail(reason: string, evidence: Evidence = {}): Verdict {
  return { status: 'fail', reason, evidence };
}
