import { describe, expect, it } from 'vitest';
import { buildCritical5, buildSnapshot } from '../../cli/ops/critical5/critical5.js';
import { DB_DETECTORS } from '../../cli/ops/critical5/db-detectors.js';
import { normaliseMessage } from '../../cli/ops/critical5/log-detectors.js';
import { cleanStateLine, renderCritical5Markdown, renderCritical5Text } from '../../cli/ops/critical5/render.js';
import { REDACTED, secretRedactor } from '../../cli/core/redact.js';
import { loadTruth, type Truth } from '../../cli/core/truth.js';
import type { CheckStatus, DbCheck, DbReport, LogFetch, LogLine } from '../../cli/ops/model.js';
import { REPO } from '../cli/run.js';
import { join } from 'node:path';

const truth = loadTruth(join(REPO, 'product', 'truth.yaml')).truth;
const NOW = new Date('2026-11-23T12:00:00.000Z');
const WINDOW = { since: '2026-11-23T11:00:00.000Z', until: '2026-11-23T12:00:00.000Z' };
const noRedaction = (text: string) => text;

const CHECK_IDS = [
  'connections',
  'long-running-queries',
  'idle-in-transaction',
  'lock-waits',
  'advisory-lock',
  'table-sizes',
  'cache-hit',
  'unused-indexes',
  'duplicate-indexes',
  'sequences',
  'slow-statements',
  'migration-drift',
  'error-events',
  'stuck-generations',
  'inbox-backlog',
];

function line(minute: number, level: string | null, message: string): LogLine {
  return { ts: `2026-11-23T11:${String(minute).padStart(2, '0')}:00.000Z`, level, message, source: 'file', instance: '4242', labels: {} };
}

function logs(lines: LogLine[]): LogFetch {
  return { lines, window: WINDOW, source: 'file', requests: 0, rateLimited: 0 };
}

function dbReport(findings: Record<string, { status: CheckStatus; summary?: string; rows?: Record<string, unknown>[]; numbers?: DbCheck['numbers'] }> = {}): DbReport {
  return {
    target: '127.0.0.1:5432/bot',
    checkedAt: '2026-11-23T11:59:30.000Z',
    serverVersion: '18.0',
    statsResetAt: null,
    checks: CHECK_IDS.map((id) => ({
      id,
      title: id,
      status: findings[id]?.status ?? 'ok',
      summary: findings[id]?.summary ?? `${id}: fine`,
      numbers: findings[id]?.numbers ?? {},
      ...(findings[id]?.rows ? { rows: findings[id].rows } : {}),
    })),
  };
}

/** One line for each forbidden pattern of product/truth.yaml, plus noise that matches none. */
const PLANTED_LINES: LogLine[] = [
  line(1, 'info', 'trt-bot started'),
  line(2, 'error', 'TypeError: Do not know how to serialize a BigInt'),
  line(3, 'error', 'TypeError: Do not know how to serialize a BigInt'),
  line(4, 'error', 'error: function reserve_credits(integer, unknown) does not exist'),
  line(5, 'warn', 'lost lock: heartbeat write failed'),
  line(6, 'info', 'taking over from stale holder 77'),
  line(7, 'info', 'taking over from stale holder 78'),
  line(8, 'warn', 'UPDATE_REJECTED: queue full (backpressure)'),
  line(9, 'warn', "Bad Request: can't parse entities: unsupported start tag"),
  line(10, 'info', 'update 1 processed'),
];

describe('critical5 over planted logs', () => {
  it('ranks the forbidden patterns by the total of their truth.yaml axes, ties by priority', () => {
    const result = buildCritical5({ truth, logs: logs(PLANTED_LINES), db: null, now: NOW, redact: noRedaction });
    expect(result.top.map((issue) => [issue.id, issue.priority, issue.total])).toEqual([
      ['takeover-loop', 'P1', 27],
      ['update-rejected', 'P1', 25],
      ['json-serialization', 'P0', 24],
      ['function-signature', 'P0', 22],
      ['html-parse', 'P2', 12],
    ]);
    expect(result.found).toBe(5);
    expect(result.window).toEqual(WINDOW);
    expect(result.generatedAt).toBe(NOW.toISOString());

    const takeover = result.top[0]!;
    expect(takeover.source).toBe('logs');
    expect(takeover.axes).toEqual({ revenue: 2, generation: 7, ux: 5, silent_failure: 4, ops_risk: 9 });
    expect(takeover.action).toBe('Check heartbeat writes and stale thresholds.');
    expect(takeover.evidence).toMatchObject({ count: 3, firstSeen: '2026-11-23T11:05:00.000Z', lastSeen: '2026-11-23T11:07:00.000Z' });
    expect(takeover.evidence.samples).toEqual([
      '2026-11-23T11:07:00.000Z INFO taking over from stale holder 78',
      '2026-11-23T11:06:00.000Z INFO taking over from stale holder 77',
      '2026-11-23T11:05:00.000Z WARN lost lock: heartbeat write failed',
    ]);
    // Repeats of one message are one sample.
    expect(result.top[2]!.evidence).toMatchObject({ count: 2, samples: ['2026-11-23T11:03:00.000Z ERROR TypeError: Do not know how to serialize a BigInt'] });
  });

  it('matches patterns case-insensitively', () => {
    const result = buildCritical5({ truth, logs: logs([line(1, 'warn', 'LOST LOCK after 3 missed heartbeats')]), db: null, now: NOW, redact: noRedaction });
    expect(result.top.map((issue) => issue.id)).toEqual(['takeover-loop']);
  });

  it('groups repeated errors no pattern knows by their normalised message, from five repeats on', () => {
    const repeated = [1, 2, 3, 4, 5].map((n) => line(n, 'error', `update ${1000 + n} failed: connect ECONNREFUSED 10.0.0.${n}:443`));
    const fewer = [11, 12, 13, 14].map((n) => line(n, 'fatal', `worker ${n} crashed`));
    const known = [21, 22, 23, 24, 25].map((n) => line(n, 'error', `taking over from stale holder ${n}`));
    const info = [31, 32, 33, 34, 35].map((n) => line(n, 'info', `update ${n} processed`));
    const result = buildCritical5({ truth, logs: logs([...repeated, ...fewer, ...known, ...info]), db: null, now: NOW, redact: noRedaction });
    expect(result.top.map((issue) => [issue.id, issue.priority, issue.evidence.count])).toEqual([
      ['takeover-loop', 'P1', 5],
      ['error-burst-logs', 'P2', 5],
    ]);
    expect(result.top[1]!.title).toBe('Repeated error: update <n> failed: connect ECONNREFUSED <n>.<n>.<n>.<n>:<n>');

    const lowered = buildCritical5({ truth, logs: logs(fewer), db: null, now: NOW, redact: noRedaction, errorBurstMin: 4 });
    expect(lowered.top.map((issue) => [issue.id, issue.evidence.count])).toEqual([['error-burst-logs', 4]]);
  });

  it('normalises times, ids, hex and numbers out of a message', () => {
    expect(normaliseMessage('job 3f2a9c1be07d at 2026-11-23T11:00:00.123Z for 6f1e3c2a-1b2c-4d5e-8f90-123456789abc: code 0x1f, 42 tries')).toBe(
      'job <hex> at <time> for <id>: code <hex>, <n> tries',
    );
  });
});

describe('critical5 over logs and the database', () => {
  it('ranks the database issues among the log issues and keeps the top five', () => {
    const db = dbReport({
      'advisory-lock': { status: 'critical', summary: 'holder pid 4242 last heartbeat 300 s ago (stale after 60 s)', numbers: { heartbeat_age_s: 300, stale_heartbeat_s: 60, holder_pid: 4242, epoch: 7 } },
      'migration-drift': { status: 'warn', summary: '1 pending migration: 006_new.sql', rows: [{ name: '006_new.sql', state: 'pending' }] },
      'unused-indexes': { status: 'warn', summary: '1 index never scanned', rows: [{ index: 'inbox_unused_idx', size_bytes: 8192 }] },
    });
    const result = buildCritical5({ truth, logs: logs(PLANTED_LINES), db, now: NOW, redact: noRedaction });
    expect(result.found).toBe(8);
    expect(result.top.map((issue) => [issue.id, issue.source, issue.priority, issue.total])).toEqual([
      ['stale-heartbeat', 'db', 'P0', 33],
      ['takeover-loop', 'logs', 'P1', 27],
      ['update-rejected', 'logs', 'P1', 25],
      // 24 each: P0 before P1.
      ['json-serialization', 'logs', 'P0', 24],
      ['pending-migrations', 'db', 'P1', 24],
    ]);
    const stale = result.top[0]!;
    expect(stale.evidence).toEqual({
      count: 1,
      firstSeen: null,
      lastSeen: '2026-11-23T11:59:30.000Z',
      samples: ['holder pid 4242 last heartbeat 300 s ago (stale after 60 s)'],
      numbers: { heartbeat_age_s: 300, stale_heartbeat_s: 60, holder_pid: 4242, epoch: 7 },
    });
    expect(result.top[4]!.evidence.samples).toEqual(['1 pending migration: 006_new.sql', 'name=006_new.sql state=pending']);
  });

  it('raises a critical check of an escalating detector to its higher priority', () => {
    const warn = buildCritical5({ truth, logs: null, db: dbReport({ connections: { status: 'warn' } }), now: NOW, redact: noRedaction });
    const critical = buildCritical5({ truth, logs: null, db: dbReport({ connections: { status: 'critical' } }), now: NOW, redact: noRedaction });
    expect(warn.top.map((issue) => [issue.id, issue.priority])).toEqual([['connection-saturation', 'P2']]);
    expect(critical.top.map((issue) => [issue.id, issue.priority])).toEqual([['connection-saturation', 'P1']]);
  });

  it('has a detector for every check trt ops db runs but the informational table sizes', () => {
    const everything = Object.fromEntries(CHECK_IDS.map((id) => [id, { status: 'warn' as const }]));
    const result = buildCritical5({ truth, logs: null, db: dbReport(everything), now: NOW, redact: noRedaction });
    expect([...new Set(DB_DETECTORS.map((detector) => detector.check))].sort()).toEqual(CHECK_IDS.filter((id) => id !== 'table-sizes').sort());
    expect(result.found).toBe(CHECK_IDS.length - 1);
    expect(result.top.map((issue) => [issue.id, issue.priority])).toEqual([
      ['stuck-generations', 'P0'],
      ['stale-heartbeat', 'P1'],
      ['inbox-backlog', 'P1'],
      ['pending-migrations', 'P1'],
      ['lock-waits', 'P1'],
    ]);
  });

  it('tells the leader lock problems apart by the figures of the advisory-lock check', () => {
    const lockIssue = (status: CheckStatus, numbers: DbCheck['numbers']) => {
      const result = buildCritical5({ truth, logs: null, db: dbReport({ 'advisory-lock': { status, numbers } }), now: NOW, redact: noRedaction });
      return result.top.map((issue) => [issue.id, issue.priority]);
    };
    expect(lockIssue('critical', { holder_pid: null, epoch: 7, heartbeat_age_s: null })).toEqual([['no-leader', 'P0']]);
    expect(lockIssue('warn', { holder_pid: 4242, epoch: null, heartbeat_age_s: null })).toEqual([['foreign-lock-holder', 'P1']]);
    expect(lockIssue('critical', { holder_pid: 4242, epoch: 7, heartbeat_age_s: 300 })).toEqual([['stale-heartbeat', 'P0']]);
    expect(lockIssue('warn', { holder_pid: 4242, epoch: 7, heartbeat_age_s: 40 })).toEqual([['stale-heartbeat', 'P1']]);
  });

  it("counts a check's offenders from its own count when it gives one", () => {
    const rows = [{ pid: 1 }, { pid: 2 }];
    const counted = buildCritical5({ truth, logs: null, db: dbReport({ 'lock-waits': { status: 'warn', rows, numbers: { count: 27, longest_s: 9 } } }), now: NOW, redact: noRedaction });
    const listed = buildCritical5({ truth, logs: null, db: dbReport({ 'lock-waits': { status: 'warn', rows } }), now: NOW, redact: noRedaction });
    expect(counted.top[0]!.evidence.count).toBe(27);
    expect(listed.top[0]!.evidence.count).toBe(2);
    const drift = buildCritical5({ truth, logs: null, db: dbReport({ 'migration-drift': { status: 'critical', numbers: { applied: 5, pending: 2, changed: 1, missing: 0 } } }), now: NOW, redact: noRedaction });
    expect(drift.top[0]!.evidence.count).toBe(3);
  });

  it('ignores checks that are ok or could not run', () => {
    const result = buildCritical5({ truth, logs: null, db: dbReport({ 'slow-statements': { status: 'unavailable', summary: 'pg_stat_statements is not installed' } }), now: NOW, redact: noRedaction });
    expect(result).toEqual({ generatedAt: NOW.toISOString(), window: null, found: 0, top: [] });
  });
});

describe('overrides from truth', () => {
  const overridden: Truth = {
    ...truth,
    observability: {
      ...truth.observability,
      detectors: {
        'stale-heartbeat': { severity: 'P2', axes: { revenue: 0, generation: 1 } },
        'takeover-loop': { action: 'Page the on-call.' },
        'error-burst-logs': { severity: 'P0', axes: { ops_risk: 10 } },
      },
    },
  };

  it('replaces only the fields an override names', () => {
    const burst = [1, 2, 3, 4, 5].map((n) => line(n, 'error', `payment ${n} failed`));
    const db = dbReport({ 'advisory-lock': { status: 'critical', summary: 'stale' } });
    const result = buildCritical5({ truth: overridden, logs: logs([...burst, line(9, 'warn', 'lost lock')]), db, now: NOW, redact: noRedaction });
    const byId = new Map(result.top.map((issue) => [issue.id, issue]));
    expect(byId.get('stale-heartbeat')).toMatchObject({ priority: 'P2', axes: { revenue: 0, generation: 1, ux: 6, silent_failure: 7, ops_risk: 9 }, total: 23 });
    expect(byId.get('stale-heartbeat')!.action).toBe(DB_DETECTORS.find((detector) => detector.id === 'stale-heartbeat')!.action);
    expect(byId.get('takeover-loop')).toMatchObject({ priority: 'P1', total: 27, action: 'Page the on-call.' });
    expect(byId.get('error-burst-logs')).toMatchObject({ priority: 'P0', axes: { revenue: 1, generation: 3, ux: 3, silent_failure: 4, ops_risk: 10 }, total: 21 });
    expect(result.top.map((issue) => issue.id)).toEqual(['takeover-loop', 'stale-heartbeat', 'error-burst-logs']);
  });
});

describe('a clean state', () => {
  it('has an empty top five and says what was looked at', () => {
    const clean = [line(1, 'info', 'trt-bot started'), line(2, 'debug', 'heartbeat written'), line(3, 'error', 'one-off failure')];
    const result = buildCritical5({ truth, logs: logs(clean), db: dbReport(), now: NOW, redact: noRedaction });
    expect(result.top).toEqual([]);
    expect(result.found).toBe(0);
    const context = { dbChecks: CHECK_IDS.length, unavailable: {} };
    expect(cleanStateLine(result.window, CHECK_IDS.length)).toBe('no problems found in 1h of logs and 15 database checks');
    expect(renderCritical5Text(result, context)).toContain('no problems found in 1h of logs and 15 database checks');
    expect(renderCritical5Markdown(result, context)).toContain('no problems found in 1h of logs and 15 database checks');
  });

  it('names only the sources that were read', () => {
    expect(cleanStateLine(null, 15)).toBe('no problems found in 15 database checks');
    expect(cleanStateLine({ since: '2026-11-23T11:30:00.000Z', until: '2026-11-23T12:00:00.000Z' }, null)).toBe('no problems found in 30m of logs');
  });
});

describe('samples', () => {
  const botToken = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
  const adminSecret = 'admin-secret-value-1234567890';
  const redact = secretRedactor([adminSecret]);

  it('are redacted, whatever secret the line carries, and cut to 300 characters', () => {
    const planted = [
      line(1, 'error', `Do not know how to serialize a BigInt while answering with token ${botToken}`),
      line(2, 'error', 'Do not know how to serialize a BigInt: postgres://bot:hunter2-pass@db.internal:5432/bot'),
      line(3, 'error', `Do not know how to serialize a BigInt; headers Authorization: Bearer abcdefghijklmnop123 x-admin ${adminSecret}`),
      line(4, 'warn', `backpressure ${'x'.repeat(400)}`),
    ];
    const db = dbReport({ 'long-running-queries': { status: 'warn', summary: `1 query running 90 s`, rows: [{ pid: 77, query: `SELECT '${adminSecret}'` }], numbers: { url: 'postgres://bot:hunter2-pass@db/bot' } } });
    const result = buildCritical5({ truth, logs: logs(planted), db, now: NOW, redact });
    const json = JSON.stringify(result);
    for (const secret of [botToken, 'hunter2-pass', 'abcdefghijklmnop123', adminSecret]) expect(json).not.toContain(secret);
    const samples = result.top.find((issue) => issue.id === 'json-serialization')!.evidence.samples;
    expect(samples).toHaveLength(3);
    for (const sample of samples) expect(sample).toContain(REDACTED);
    const long = result.top.find((issue) => issue.id === 'update-rejected')!.evidence.samples[0]!;
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('are redacted in the snapshot, the database report included', () => {
    const db = dbReport({ 'idle-in-transaction': { status: 'warn', summary: `idle session of postgres://bot:hunter2-pass@db/bot`, rows: [{ query: adminSecret }] } });
    const snapshot = buildSnapshot({ truth, logs: logs([line(1, 'info', `token ${botToken}`)]), db, now: NOW, redact });
    const json = JSON.stringify(snapshot);
    for (const secret of [botToken, 'hunter2-pass', adminSecret]) expect(json).not.toContain(secret);
    expect(snapshot.logs).toEqual({ source: 'file', window: WINDOW, lines: 1, byLevel: { info: 1 } });
    expect(snapshot.critical5.top.map((issue) => issue.id)).toEqual(['idle-in-transaction']);
  });
});
