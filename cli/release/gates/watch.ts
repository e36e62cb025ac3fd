/**
 * The watch gate: after the deploy is live, read the service's logs from Render for
 * `release.watch_minutes` (or --watch) and fail at once when a forbidden pattern of priority P0
 * or P1 (observability.forbidden_log_patterns, as critical5 scores them) appears. The window
 * starts when the deploy went live, so it covers the minute Render keeps the old instance running
 * beside the new one. Each read covers the time since the previous one plus one poll interval
 * again, because Render can list a line some seconds after its timestamp; lines already seen are
 * not counted twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Truth } from '../../core/truth.js';
import { detectLogIssues, ERROR_BURST_LOGS } from '../../ops/critical5/log-detectors.js';
import { fetchLogs } from '../../ops/logs/fetch.js';
import type { Issue, LogLine } from '../../ops/model.js';
import { metric, type GateVerdict } from '../model.js';
import { describeDuration } from '../settings.js';
import type { Gate } from './gate.js';

const BLOCKING = new Set(['P0', 'P1']);

export const watchGate: Gate = {
  name: 'watch',
  title: 'watch the logs after the deploy',
  async plan({ settings }) {
    const patterns = blockingPatterns(settings.truth.observability?.forbidden_log_patterns ?? []);
    const does = `read Render's logs (GET /v1/logs) every ${describeDuration(settings.watchPollMs)} for ${describeDuration(settings.watchMs)} from the moment the deploy is live`;
    const targets = [`P0/P1 pattern matches = 0 (${patterns.join(', ') || 'none defined in observability.forbidden_log_patterns'})`, `watched ≥ ${describeDuration(settings.watchMs)}`];
    return { does, targets, problems: 'problem' in settings.logs ? [settings.logs.problem] : [] };
  },
  async run({ settings, state, redact, note }): Promise<GateVerdict> {
    const gateStartMs = Date.now();
    const windowStartMs = Math.min(gateStartMs, state.liveAt === null ? gateStartMs : Date.parse(state.liveAt));
    const windowEndMs = Math.max(gateStartMs, windowStartMs + settings.watchMs);
    const seen = new Set<string>();
    let linesSeen = 0;
    const matches = new Map<string, Issue>();
    let readUntilMs = windowStartMs;
    let polls = 0;
    let requests = 0;
    let rateLimited = 0;
    for (;;) {
      const nowMs = Math.min(Date.now(), windowEndMs);
      const sinceMs = Math.max(windowStartMs, readUntilMs - settings.watchPollMs);
      if (nowMs > sinceMs) {
        const fetched = await fetchLogs({
          source: 'render',
          since: new Date(sinceMs).toISOString(),
          until: new Date(nowMs).toISOString(),
          env: settings.env,
          now: new Date(nowMs),
          secretValues: settings.secretValues,
        });
        polls++;
        requests += fetched.requests;
        rateLimited += fetched.rateLimited;
        readUntilMs = nowMs;
        const fresh = fetched.lines.filter((line) => {
          const key = `${line.ts}\u0000${line.instance ?? ''}\u0000${line.message}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        linesSeen += fresh.length;
        // The watch stops at the first match, so earlier polls matched nothing: only the new lines can.
        for (const issue of blockingIssues(fresh, settings.truth, redact)) matches.set(issue.id, issue);
        note(`${describeDuration(nowMs - windowStartMs)} of ${describeDuration(windowEndMs - windowStartMs)}, ${linesSeen} lines, ${matches.size} P0/P1 patterns`);
      }
      if (matches.size > 0 || nowMs >= windowEndMs) break;
      await sleep(Math.min(settings.watchPollMs, windowEndMs - Date.now()));
    }
    const watchedMs = readUntilMs - windowStartMs;
    const found = [...matches.values()];
    const matchCount = found.reduce((sum, issue) => sum + issue.evidence.count, 0);
    const window = { since: new Date(windowStartMs).toISOString(), until: new Date(readUntilMs).toISOString(), plannedUntil: new Date(windowEndMs).toISOString() };
    const evidence = {
      matches: found.map((issue) => ({ id: issue.id, priority: issue.priority, count: issue.evidence.count, firstSeen: issue.evidence.firstSeen, lastSeen: issue.evidence.lastSeen, samples: issue.evidence.samples.map(redact) })),
      linesSeen,
      window,
      startedAt: state.liveAt === null ? 'when the watch started (no deploy went live in this release)' : 'when the deploy went live',
      polls,
      requests,
      rateLimited,
    };
    const metrics = [
      metric('P0/P1 log pattern matches', matchCount, '= 0', matchCount > 0),
      metric('minutes watched', round(watchedMs / 60_000), `≥ ${round(settings.watchMs / 60_000)}`, watchedMs < settings.watchMs),
    ];
    if (found.length > 0) {
      const first = found.map((issue) => issue.evidence.firstSeen ?? '').sort()[0];
      return {
        status: 'fail',
        reason: `${found.map((issue) => `${issue.priority} ${issue.id} ×${issue.evidence.count}`).join(', ')} in the logs (first at ${first}) after ${describeDuration(watchedMs)} of ${describeDuration(settings.watchMs)}`,
        metrics,
        evidence,
      };
    }
    return { status: 'pass', reason: `no P0/P1 pattern in ${linesSeen} log lines over ${describeDuration(watchedMs)}`, metrics, evidence };
  },
};

function blockingIssues(lines: readonly LogLine[], truth: Truth, redact: (text: string) => string): Issue[] {
  return detectLogIssues(lines, truth, { redact }).filter((issue) => issue.id !== ERROR_BURST_LOGS && BLOCKING.has(issue.priority));
}

function blockingPatterns(patterns: readonly { id: string; severity: string }[]): string[] {
  return patterns.filter((pattern) => BLOCKING.has(pattern.severity)).map((pattern) => pattern.id);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
