/**
 * Log detectors: every `observability.forbidden_log_patterns` entry of truth.yaml is one detector
 * (a known failure, scored by whoever wrote the pattern), plus `error-burst-logs`, which catches
 * the failures nobody wrote a pattern for yet: error lines that repeat.
 *
 * @example
 * ```ts
 * const issues = detectLogIssues(fetch.lines, truth, { redact: secretRedactor(secrets) });
 * ```
 */
import { TrtError } from '../../core/errors.js';
import type { ForbiddenLogPattern, Truth } from '../../core/truth.js';
import type { Issue, LogLine } from '../model.js';
import { completeAxes, issueFrom, MAX_SAMPLES, sampleText, withOverrides, type Scoring } from './scoring.js';

export const ERROR_BURST_LOGS = 'error-burst-logs';

/** Repeats of one error message in the window before it is an issue. */
export const DEFAULT_ERROR_BURST_MIN = 5;

/**
 * An unclassified error is a P2: the known, scored failures are the patterns. The axes are the
 * middle of the road because nothing is known about the error yet:
 * - revenue 1: most errors are not in the payment path;
 * - generation 3: an error in a handler is often a request that produced nothing;
 * - ux 3: the user may have got an error reply or none;
 * - silent_failure 4: it only shows in logs, no alert covers it;
 * - ops_risk 4: a repeating error is a bug in production until someone classifies it.
 */
const ERROR_BURST_SCORING: Scoring = {
  priority: 'P2',
  axes: { revenue: 1, generation: 3, ux: 3, silent_failure: 4, ops_risk: 4 },
  action: 'Find the cause of the repeated error, then add an observability.forbidden_log_patterns entry for it so it is scored as a known failure.',
};

export interface LogDetectorOptions {
  /** Applied to every sample before it is kept (the lines should already be redacted; this is the belt to those braces). */
  redact: (text: string) => string;
  /** Repeats of one normalised error message before `error-burst-logs` reports it; default {@link DEFAULT_ERROR_BURST_MIN}. */
  errorBurstMin?: number;
}

/** One issue per forbidden pattern that matched, then one per repeated unmatched error message. */
export function detectLogIssues(lines: readonly LogLine[], truth: Truth, options: LogDetectorOptions): Issue[] {
  const patterns = (truth.observability?.forbidden_log_patterns ?? []).map((entry) => ({ entry, regexp: compilePattern(entry) }));
  const matched = new Map<string, LogLine[]>();
  const unmatchedErrors = new Map<string, LogLine[]>();
  for (const line of lines) {
    let known = false;
    for (const { entry, regexp } of patterns) {
      if (!regexp.test(line.message)) continue;
      known = true;
      append(matched, entry.id, line);
    }
    if (!known && (line.level === 'error' || line.level === 'fatal')) append(unmatchedErrors, normaliseMessage(line.message), line);
  }

  const issues: Issue[] = [];
  for (const { entry } of patterns) {
    const hits = matched.get(entry.id);
    if (!hits) continue;
    const scoring = withOverrides(entry.id, { priority: entry.severity, axes: completeAxes(entry.axes), action: entry.action ?? `Find the cause of the "${entry.id}" log lines.` }, truth);
    issues.push(issueFrom({ id: entry.id, title: `Log lines matching /${entry.pattern}/`, source: 'logs', evidence: evidenceOf(hits, options.redact) }, scoring));
  }
  const burstMin = options.errorBurstMin ?? DEFAULT_ERROR_BURST_MIN;
  const burstScoring = withOverrides(ERROR_BURST_LOGS, ERROR_BURST_SCORING, truth);
  for (const [message, hits] of unmatchedErrors) {
    if (hits.length < burstMin) continue;
    issues.push(
      issueFrom(
        { id: ERROR_BURST_LOGS, title: `Repeated error: ${sampleText(message, options.redact).slice(0, 120)}`, source: 'logs', evidence: evidenceOf(hits, options.redact) },
        burstScoring,
      ),
    );
  }
  return issues;
}

/**
 * The shape of a message with what varies between repeats taken out — times, UUIDs, hex ids,
 * numbers — so "update 1041 failed" and "update 1042 failed" are one group.
 */
export function normaliseMessage(message: string): string {
  return message
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>')
    .replace(/\d+/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

function compilePattern(entry: ForbiddenLogPattern): RegExp {
  try {
    return new RegExp(entry.pattern, 'i');
  } catch (error) {
    throw new TrtError(
      'OPS_LOG_PATTERN',
      `observability.forbidden_log_patterns "${entry.id}" is not a valid JavaScript regular expression: ${error instanceof Error ? error.message : String(error)}`,
      'fix the pattern in truth.yaml (check it with `npx trt truth check`)',
    );
  }
}

function append<K>(groups: Map<K, LogLine[]>, key: K, line: LogLine): void {
  const group = groups.get(key);
  if (group) group.push(line);
  else groups.set(key, [line]);
}

/** Count and time span of the hits; samples are the newest distinct messages. */
function evidenceOf(hits: readonly LogLine[], redact: (text: string) => string): Issue['evidence'] {
  const byTime = [...hits].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  const samples: string[] = [];
  const messages = new Set<string>();
  for (const line of [...byTime].reverse()) {
    if (messages.has(line.message)) continue;
    messages.add(line.message);
    samples.push(sampleText(`${line.ts} ${(line.level ?? '-').toUpperCase()} ${line.message}`, redact));
    if (samples.length === MAX_SAMPLES) break;
  }
  return { count: hits.length, firstSeen: byTime[0]?.ts ?? null, lastSeen: byTime[byTime.length - 1]?.ts ?? null, samples };
}
