/**
 * Reading the two sources critical5 and the snapshot work from — logs and the database — so
 * that one unreadable source is named in the report while the other is still used. A wrong flag
 * is the user's to fix before anything is worth reading, and a failure that is not a TrtError is
 * a bug: both are thrown, never turned into a line of the report.
 */
import { describeError, TrtError } from '../../core/errors.js';
import type { Truth } from '../../core/truth.js';
import { checkDatabase } from '../db/run-checks.js';
import { fetchLogs, type LogSourceOptions } from '../logs/fetch.js';
import type { DbReport, LogFetch, Unavailable } from '../model.js';

export interface SourceRequest {
  /** What to read the logs with, or why they are not read. */
  logs: LogSourceOptions | { skipped: string };
  /** The database to check, or why it is not checked. */
  db: { url: string; truth: Truth; root: string } | { skipped: string };
  now: Date;
  redact: (text: string) => string;
}

export interface Sources {
  logs: LogFetch | null;
  db: DbReport | null;
  unavailable: Unavailable;
}

/** Both sources at once: Render's rate-limit pauses (up to a minute) do not hold up the database checks. */
export async function readSources(request: SourceRequest): Promise<Sources> {
  const { logs: logRequest, db: dbRequest } = request;
  const [logs, db] = await Promise.allSettled([
    'skipped' in logRequest ? Promise.resolve(null) : fetchLogs(logRequest),
    'skipped' in dbRequest ? Promise.resolve(null) : checkDatabase({ ...dbRequest, now: request.now }),
  ]);
  const unavailable: Unavailable = {};
  if ('skipped' in logRequest) unavailable.logs = logRequest.skipped;
  else if (logs.status === 'rejected') unavailable.logs = request.redact(reasonOf(logs.reason));
  if ('skipped' in dbRequest) unavailable.db = dbRequest.skipped;
  else if (db.status === 'rejected') unavailable.db = request.redact(reasonOf(db.reason));
  return { logs: logs.status === 'fulfilled' ? logs.value : null, db: db.status === 'fulfilled' ? db.value : null, unavailable };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof TrtError) || error.code === 'BAD_FLAG') throw error;
  return describeError(error);
}
