/**
 * The app_events journal: what happened to each update, under its correlation id. Read by
 * GET /admin/events, `trt smoke` (S1, S6, S7) and `trt ops`. Every event is also a log line.
 */
import type { Logger } from 'pino';
import type pg from 'pg';

export const EVENT_NAMES = [
  'UPDATE_RECEIVED',
  'UPDATE_DUPLICATE',
  'UPDATE_INVALID',
  'UPDATE_REJECTED',
  'DISPATCH_OK',
  'DISPATCH_FAIL',
  'REPLY_SENT',
  'REPLY_FAILED',
  'PASSIVE_REJECT',
  'GENERATION_RESERVED',
  'GENERATION_REFUSED',
  'KIE_TASK_CREATED',
  'KIE_CALLBACK',
  'KIE_CALLBACK_REJECTED',
  'GENERATION_CAPTURED',
  'GENERATION_FAILED',
  'GENERATION_EXPIRED',
  'CREDITS_GRANTED',
  'PAYMENT_CREDITED',
  'PAYMENT_DUPLICATE',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];
export type EventLevel = 'info' | 'warn' | 'error';

export interface NewEvent {
  event: EventName;
  level: EventLevel;
  cid: string | null;
  updateId: number | null;
  chatId: number | null;
  data?: Record<string, unknown>;
}

/** One event as the admin API answers it: numbers are JSON numbers, ts is ISO 8601. */
export interface AppEvent {
  ts: string;
  event: string;
  level: string;
  cid: string | null;
  update_id: number | null;
  chat_id: number | null;
  data: Record<string, unknown>;
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export const INSERT_EVENT_SQL =
  'INSERT INTO app_events (event, level, cid, update_id, chat_id, data) VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::jsonb)';

export function eventParams(event: NewEvent): unknown[] {
  return [event.event, event.level, event.cid, event.updateId, event.chatId, JSON.stringify(event.data ?? {})];
}

export async function recordEvent(db: Queryable, log: Logger, event: NewEvent): Promise<void> {
  logEvent(log, event);
  await db.query(INSERT_EVENT_SQL, eventParams(event));
}

export function logEvent(log: Logger, event: NewEvent): void {
  log[event.level]({ event: event.event, cid: event.cid, update_id: event.updateId, chat_id: event.chatId, ...(event.data ? { data: event.data } : {}) }, event.event);
}

export interface EventFilter {
  updateId?: number;
  cid?: string;
  since?: Date;
  limit: number;
}

export async function queryEvents(db: Queryable, filter: EventFilter): Promise<AppEvent[]> {
  const result = await db.query<{ ts: Date; event: string; level: string; cid: string | null; update_id: string | null; chat_id: string | null; data: Record<string, unknown> }>(
    `SELECT ts, event, level, cid, update_id::text, chat_id::text, data
       FROM app_events
      WHERE ($1::bigint IS NULL OR update_id = $1::bigint)
        AND ($2::text IS NULL OR cid = $2::text)
        AND ($3::timestamptz IS NULL OR ts >= $3::timestamptz)
      ORDER BY ts, id
      LIMIT $4::int`,
    [filter.updateId ?? null, filter.cid ?? null, filter.since?.toISOString() ?? null, filter.limit],
  );
  return result.rows.map((row) => ({
    ts: row.ts.toISOString(),
    event: row.event,
    level: row.level,
    cid: row.cid,
    update_id: row.update_id === null ? null : Number(row.update_id),
    chat_id: row.chat_id === null ? null : Number(row.chat_id),
    data: row.data,
  }));
}
