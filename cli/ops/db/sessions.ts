/**
 * What the session checks (connections, long-running, idle in transaction, lock waits) share:
 * pg_stat_activity only shows the state and query of other roles' sessions to a role with
 * pg_read_all_stats, so a read-only ops role without it sees the bot's sessions as blanks. An
 * "ok" must then say it only covers what it could see.
 */
import type { CheckVerdict, DbCheckContext } from './check.js';
import { duration, escalate, plural } from './verdict.js';

export function hiddenSessionsNote(context: Pick<DbCheckContext, 'hiddenSessions'>): string {
  if (context.hiddenSessions === 0) return '';
  return ` (${plural(context.hiddenSessions, 'session')} of other roles not visible: grant pg_read_all_stats to this role)`;
}

/** A session row as the checks report it: who, from where, doing what. */
export interface SessionRow {
  pid: number;
  role: string | null;
  application_name: string | null;
  client_addr: string | null;
  state: string | null;
  wait_event: string | null;
  query: string | null;
  /** count(*) OVER (): every matching session, not only the rows returned. */
  total: number;
}

/** The columns every session check selects from pg_stat_activity `a`. */
export const SESSION_COLUMNS = `a.pid, a.usename AS role, a.application_name, a.client_addr::text AS client_addr, a.state,
       CASE WHEN a.wait_event IS NOT NULL THEN a.wait_event_type || ':' || a.wait_event END AS wait_event,
       a.query, count(*) OVER ()::int AS total`;

/** Other client sessions of this database: never this one, never autovacuum or replication. */
export const OTHER_CLIENTS = `a.datname = current_database() AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`;

/** The row a report shows: the query text redacted and cut, the window count left out. */
export function sessionRow<Row extends SessionRow>(row: Row, context: Pick<DbCheckContext, 'queryText'>): Record<string, unknown> {
  const { total: _total, query, ...rest } = row;
  return { ...rest, query: context.queryText(query) };
}

/**
 * The verdict of a session check with a time threshold, from its longest session (the rows come
 * longest first): ok when there is none, else escalated by how far it goes past the threshold.
 * `noun` and `doing` word the summary: "2 sessions waiting on a lock longer than 5 s; the longest…".
 */
export function overThresholdVerdict(
  longest: { pid: number; total: number; seconds: number; detail: string } | undefined,
  thresholdS: number,
  words: { noun: string; doing: string },
): Pick<CheckVerdict, 'status' | 'summary'> {
  if (!longest) return { status: 'ok', summary: `no ${words.noun} ${words.doing} longer than ${duration(thresholdS)}` };
  return {
    status: escalate(longest.seconds, thresholdS),
    summary: `${plural(longest.total, words.noun)} ${words.doing} longer than ${duration(thresholdS)}; the longest ${duration(longest.seconds)} (pid ${longest.pid}${longest.detail})`,
  };
}

/** `, <application_name>` for a summary, when the session set one. */
export function applicationDetail(row: Pick<SessionRow, 'application_name'>): string {
  return row.application_name ? `, ${row.application_name}` : '';
}
