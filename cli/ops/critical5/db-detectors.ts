/**
 * Database detectors: each `trt ops db` check that came back `warn` or `critical` becomes an
 * issue, with a priority, scores and action chosen here for what that finding means for this
 * bot. Truth's `observability.detectors.<issue id>` overrides any of the three.
 *
 * The scores answer "if this is real, how much does it hurt", axis by axis; the line above each
 * entry says why each number is what it is.
 */
import type { Truth } from '../../core/truth.js';
import type { DbCheck, DbReport, Issue, Priority } from '../model.js';
import { issueFrom, MAX_SAMPLES, sampleText, withOverrides, type Axes, type Scoring } from './scoring.js';

export interface DbDetector {
  /** The `trt ops db` check it reads. */
  check: string;
  /** For a check whose findings differ in kind: whether this detector is the one for this finding. */
  when?: (check: DbCheck) => boolean;
  /** The issue id: what truth's `observability.detectors` overrides are keyed by. */
  id: string;
  title: string;
  /** The priority for a `warn` check and for a `critical` one. */
  priority: Record<'warn' | 'critical', Priority>;
  axes: Axes;
  action: string;
  /** The figures whose sum is the issue's count; default `count`, else the check's rows. */
  countOf?: readonly string[];
}

/** The advisory-lock check's figures say which lock problem it found. */
const nobodyHoldsTheLock = (check: DbCheck) => check.numbers.holder_pid === null;
const noLeaderRowForTheHolder = (check: DbCheck) => check.numbers.holder_pid !== null && check.numbers.epoch === null;

/** In the order they are tried: the first detector of a check whose `when` holds (or has none) takes the finding. */
export const DB_DETECTORS: readonly DbDetector[] = [
  // revenue 3: purchases are not processed; generation 10 and ux 8: no update is processed at
  // all; silent_failure 5: the webhook still answers 200, only /health's `active` says it;
  // ops_risk 9: every instance is PASSIVE and none will become ACTIVE by itself.
  {
    check: 'advisory-lock',
    when: nobodyHoldsTheLock,
    id: 'no-leader',
    title: 'No instance holds the leader lock',
    priority: { warn: 'P0', critical: 'P0' },
    axes: { revenue: 3, generation: 10, ux: 8, silent_failure: 5, ops_risk: 9 },
    action: 'Check that an instance is running and can reach the database; its log says why it stays PASSIVE.',
  },
  // revenue 3, generation 8, ux 6: while the holder is not a bot instance no bot processes;
  // silent_failure 8: every bot instance looks healthy and PASSIVE; ops_risk 8: something outside
  // the bot (an old deploy, a script) uses the bot's lock key.
  {
    check: 'advisory-lock',
    when: noLeaderRowForTheHolder,
    id: 'foreign-lock-holder',
    title: 'The leader lock is held by a session that is not a bot instance',
    priority: { warn: 'P1', critical: 'P0' },
    axes: { revenue: 3, generation: 8, ux: 6, silent_failure: 8, ops_risk: 8 },
    action: 'Find the holder (holder_pid, application_name) and stop it: an old deploy or a script is using database.lock_key.',
  },
  // revenue 3: paid generations wait with no one to run them; generation 8: nothing is processed;
  // ux 6: users get no replies; silent_failure 7: the webhook still answers 200 and stores updates;
  // ops_risk 9: the fencing takeover is the one mechanism keeping exactly one leader.
  // A late (not yet stale) heartbeat is the warn form of the same problem: P1.
  {
    check: 'advisory-lock',
    id: 'stale-heartbeat',
    title: 'The leader lock holder stopped its heartbeat',
    priority: { warn: 'P1', critical: 'P0' },
    axes: { revenue: 3, generation: 8, ux: 6, silent_failure: 7, ops_risk: 9 },
    action: 'Find the lock holder (holder_pid) and check it is alive; a hung holder must be restarted so the standby can take over after stale_heartbeat_s.',
  },
  // revenue 8: credits were reserved and nothing was delivered; generation 8: the jobs are stuck;
  // ux 6: the user waits for a result that does not come; silent_failure 7: no error is raised
  // until the deadline sweep; ops_risk 5: the deadline sweep should release them — if it runs.
  {
    check: 'stuck-generations',
    id: 'stuck-generations',
    title: 'Generations stuck past their deadline',
    priority: { warn: 'P0', critical: 'P0' },
    axes: { revenue: 8, generation: 8, ux: 6, silent_failure: 7, ops_risk: 5 },
    action: 'Check the KIE callbacks and the poll job (graphile_worker.jobs); expire the stuck rows so their credits are released.',
  },
  // revenue 2: a new feature's table may be the one payments need; generation 5: code that needs
  // the missing schema fails when it runs; ux 3: only those paths; silent_failure 6: nothing fails
  // until that code path runs; ops_risk 8: the database and the deployed code disagree.
  {
    check: 'migration-drift',
    id: 'pending-migrations',
    title: 'Migration files not applied (or changed after being applied)',
    priority: { warn: 'P1', critical: 'P1' },
    axes: { revenue: 2, generation: 5, ux: 3, silent_failure: 6, ops_risk: 8 },
    action: 'Deploy so the ACTIVE instance applies the pending files at start; a changed applied file must be reverted and its change written as a new migration.',
    countOf: ['pending', 'changed', 'missing'],
  },
  // revenue 2: purchases queue behind the backlog; generation 6: requests wait unprocessed; ux 7:
  // replies come late or after the user gave up; silent_failure 4: /health shows the depth;
  // ops_risk 6: at queue.capacity the webhook answers 503 and Telegram retries.
  {
    check: 'inbox-backlog',
    id: 'inbox-backlog',
    title: 'Stored updates waiting to be processed',
    priority: { warn: 'P1', critical: 'P1' },
    axes: { revenue: 2, generation: 6, ux: 7, silent_failure: 4, ops_risk: 6 },
    action: 'Check the ACTIVE instance is processing (lock_state, DISPATCH events); find the slow handler or raise queue.workers.',
    countOf: ['depth'],
  },
  // revenue 2: some errors are in the payment path; generation 5 and ux 5: failed dispatches and
  // replies; silent_failure 3: they are recorded as error events, so they can be seen; ops_risk 6:
  // a burst is usually one new bug hitting every request.
  {
    check: 'error-events',
    id: 'error-burst',
    title: 'A burst of error-level events',
    priority: { warn: 'P1', critical: 'P1' },
    axes: { revenue: 2, generation: 5, ux: 5, silent_failure: 3, ops_risk: 6 },
    action: 'Read the events of the worst hour (GET /admin/events?since=…) and fix the failing step.',
    countOf: ['total'],
  },
  // revenue 1: a ledger write waiting behind it is delayed, not lost; generation 5 and ux 5: the
  // waiting sessions are requests in flight; silent_failure 5: waits look like slowness, not
  // errors; ops_risk 7: lock queues grow until the pool is exhausted.
  {
    check: 'lock-waits',
    id: 'lock-waits',
    title: 'Sessions waiting on locks',
    priority: { warn: 'P1', critical: 'P1' },
    axes: { revenue: 1, generation: 5, ux: 5, silent_failure: 5, ops_risk: 7 },
    action: 'Find the blocking pid in the rows; end the blocker if it is a stuck session (pg_terminate_backend) and fix the code that holds the lock.',
  },
  // revenue 1, generation 4, ux 3: the locks it holds block whoever touches those rows;
  // silent_failure 6: an idle session looks harmless; ops_risk 8: it holds back vacuum and a
  // pool connection, and is usually a leaked client in the code.
  {
    check: 'idle-in-transaction',
    id: 'idle-in-transaction',
    title: 'Sessions idle inside an open transaction',
    priority: { warn: 'P1', critical: 'P1' },
    axes: { revenue: 1, generation: 4, ux: 3, silent_failure: 6, ops_risk: 8 },
    action: 'Find the client (application_name in the rows) that leaves a transaction open and make it commit or roll back; set idle_in_transaction_session_timeout.',
  },
  // revenue 1, generation 4, ux 4: new requests wait for a connection; silent_failure 3: pool
  // errors are logged; ops_risk 8: at max_connections every new connection is refused, deploys too.
  {
    check: 'connections',
    id: 'connection-saturation',
    title: 'Connections close to max_connections',
    priority: { warn: 'P2', critical: 'P1' },
    axes: { revenue: 1, generation: 4, ux: 4, silent_failure: 3, ops_risk: 8 },
    action: 'Count connections by application_name; lower pool sizes or close idle sessions before raising max_connections.',
  },
  // revenue 0: payments are short statements; generation 3, ux 3: a request may be waiting on it;
  // silent_failure 4: nothing errors until a timeout; ops_risk 7: it holds locks and snapshots.
  {
    check: 'long-running-queries',
    id: 'long-running-queries',
    title: 'Queries running for a long time',
    priority: { warn: 'P2', critical: 'P1' },
    axes: { revenue: 0, generation: 3, ux: 3, silent_failure: 4, ops_risk: 7 },
    action: 'Read the query text in the rows; cancel it (pg_cancel_backend) if it is runaway and add a statement_timeout to the role that runs it.',
  },
  // revenue 2, generation 3, ux 2: inserts fail once a sequence is exhausted, nothing before;
  // silent_failure 2: it is a slow, visible trend; ops_risk 7: the fix (bigint) is a migration.
  {
    check: 'sequences',
    id: 'sequence-exhaustion',
    title: 'Sequences close to their maximum',
    priority: { warn: 'P2', critical: 'P1' },
    axes: { revenue: 2, generation: 3, ux: 2, silent_failure: 2, ops_risk: 7 },
    action: 'Migrate the column and its sequence to bigint before the sequence runs out.',
  },
  // revenue 0; generation 3 and ux 4: slow statements are slow requests; silent_failure 2: slow,
  // not wrong; ops_risk 4: they eat the webhook's 500 ms budget under load.
  {
    check: 'slow-statements',
    id: 'slow-statements',
    title: 'Statements slow on average',
    priority: { warn: 'P2', critical: 'P2' },
    axes: { revenue: 0, generation: 3, ux: 4, silent_failure: 2, ops_risk: 4 },
    action: 'EXPLAIN the statements in the rows; add the missing index or rewrite the query.',
  },
  // revenue 0; generation 2, ux 2: reads go to disk and get slower; silent_failure 2; ops_risk 4:
  // the working set outgrew memory — a sizing problem that gets worse with traffic.
  {
    check: 'cache-hit',
    id: 'low-cache-hit',
    title: 'Cache hit ratio below the minimum',
    priority: { warn: 'P2', critical: 'P2' },
    axes: { revenue: 0, generation: 2, ux: 2, silent_failure: 2, ops_risk: 4 },
    action: 'Find the tables read from disk (table-sizes) and trim them, or give the database more memory.',
  },
  // Only cost: every write maintains the index (ops_risk 3) and nobody notices (silent_failure 1).
  {
    check: 'unused-indexes',
    id: 'unused-indexes',
    title: 'Indexes never scanned',
    priority: { warn: 'P2', critical: 'P2' },
    axes: { revenue: 0, generation: 0, ux: 0, silent_failure: 1, ops_risk: 3 },
    action: 'Drop the index in a migration if it stays unused over a full traffic cycle (unused means: since the stats were last reset).',
  },
  // Same as unused indexes: double the write cost for no read benefit.
  {
    check: 'duplicate-indexes',
    id: 'duplicate-indexes',
    title: 'Indexes covered by another index',
    priority: { warn: 'P2', critical: 'P2' },
    axes: { revenue: 0, generation: 0, ux: 0, silent_failure: 1, ops_risk: 3 },
    action: 'Drop the covered index in a migration.',
  },
];

/** One issue per database check at `warn` or `critical`; informational checks (table-sizes) have no detector. */
export function detectDbIssues(report: DbReport, truth: Truth, options: { redact: (text: string) => string }): Issue[] {
  const issues: Issue[] = [];
  for (const check of report.checks) {
    if (check.status !== 'warn' && check.status !== 'critical') continue;
    const detector = DB_DETECTORS.find((candidate) => candidate.check === check.id && (candidate.when?.(check) ?? true));
    if (!detector) continue;
    const scoring: Scoring = withOverrides(detector.id, { priority: detector.priority[check.status], axes: detector.axes, action: detector.action }, truth);
    issues.push(issueFrom({ id: detector.id, title: detector.title, source: 'db', evidence: evidenceOf(check, detector, report.checkedAt, options.redact) }, scoring));
  }
  return issues;
}

/** The check's summary first (it carries the figure), then its first offending rows. */
function evidenceOf(check: DbCheck, detector: DbDetector, checkedAt: string, redact: (text: string) => string): Issue['evidence'] {
  const rows = check.rows ?? [];
  const samples = [check.summary, ...rows.slice(0, MAX_SAMPLES - 1).map(describeRow)].map((text) => sampleText(text, redact));
  const numbers = Object.fromEntries(
    Object.entries(check.numbers).map(([key, value]) => [key, typeof value === 'string' ? sampleText(value, redact) : typeof value === 'boolean' ? String(value) : value]),
  );
  return { count: findingsIn(check, detector.countOf ?? ['count']), firstSeen: null, lastSeen: checkedAt, samples, numbers };
}

/** The check's own count of offenders when it gives one (its rows stop at 20), else its rows; a finding is at least 1. */
function findingsIn(check: DbCheck, countOf: readonly string[]): number {
  const counted = countOf.reduce((sum, key) => sum + (typeof check.numbers[key] === 'number' ? check.numbers[key] : 0), 0);
  if (counted > 0) return counted;
  return Math.max(check.rows?.length ?? 0, 1);
}

function describeRow(row: Record<string, unknown>): string {
  return Object.entries(row)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}
