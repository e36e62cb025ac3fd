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

export async function readSources(request: SourceRequest): Promise<Sources> {
  const unavailable: Unavailable = {};
  let logs: LogFetch | null = null;
  if ('skipped' in request.logs) unavailable.logs = request.logs.skipped;
  else {
    try {
      logs = await fetchLogs(request.logs);
    } catch (error) {
      unavailable.logs = request.redact(reasonOf(error));
    }
  }
  let db: DbReport | null = null;
  if ('skipped' in request.db) unavailable.db = request.db.skipped;
  else {
    try {
      db = await checkDatabase({ ...request.db, now: request.now });
    } catch (error) {
      unavailable.db = request.redact(reasonOf(error));
    }
  }
  return { logs, db, unavailable };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof TrtError) || error.code === 'BAD_FLAG') throw error;
  return describeError(error);
}
