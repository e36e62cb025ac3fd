/**
 * Error-level `app_events` by hour over the last 24 hours: one hour over
 * `error_events_per_hour_max` is a burst — usually one new bug hitting every request.
 */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { plural } from '../verdict.js';

export interface ErrorHour {
  /** ISO time the hour starts. */
  hour: string;
  errors: number;
  topEvent: string | null;
}

export function errorEventsVerdict(hours: readonly ErrorHour[], maxPerHour: number): Pick<CheckVerdict, 'status' | 'summary'> & { worst: ErrorHour | null; total: number } {
  const total = hours.reduce((sum, hour) => sum + hour.errors, 0);
  const worst = hours.reduce<ErrorHour | null>((found, hour) => (found === null || hour.errors > found.errors ? hour : found), null);
  if (worst === null) return { status: 'ok', worst, total, summary: 'no error events in the last 24 h' };
  const peak = `at most ${worst.errors} in the hour from ${worst.hour}${worst.topEvent ? ` (mostly ${worst.topEvent})` : ''}`;
  return worst.errors > maxPerHour
    ? { status: 'critical', worst, total, summary: `error burst: ${plural(total, 'error event')} in the last 24 h, ${peak}, over ${maxPerHour} per hour` }
    : { status: 'ok', worst, total, summary: `${plural(total, 'error event')} in the last 24 h, ${peak}` };
}

const SQL = `
SELECT date_trunc('hour', ts) AS hour,
       count(*)::int AS errors,
       mode() WITHIN GROUP (ORDER BY event) AS top_event
FROM app_events
WHERE level IN ('error', 'fatal') AND ts > now() - interval '24 hours'
GROUP BY 1
ORDER BY 1`;

export const errorEvents: DbCheckModule = {
  id: 'error-events',
  title: 'Error events by hour (24 h)',
  async run(db, context) {
    const rows = await db.query<{ hour: Date; errors: number; top_event: string | null }>(SQL);
    const hours = rows.map((row) => ({ hour: row.hour.toISOString(), errors: row.errors, topEvent: row.top_event }));
    const maxPerHour = context.thresholds.error_events_per_hour_max;
    const { worst, total, ...verdict } = errorEventsVerdict(hours, maxPerHour);
    return {
      ...verdict,
      numbers: { max_per_hour: worst?.errors ?? 0, worst_hour: worst?.hour ?? null, total, error_events_per_hour_max: maxPerHour },
      rows: [...hours].sort((a, b) => b.errors - a.errors || b.hour.localeCompare(a.hour)).map((hour) => ({ hour: hour.hour, errors: hour.errors, top_event: hour.topEvent })),
    };
  },
};
