/**
 * Log lines from a file or stdin: the bot's pino JSON, one object a line; any other line is kept
 * as a plain message. A line without a time of its own takes the time of the line before it (a
 * stack trace belongs to the error above it); lines before the first dated one take its time,
 * and a source with no dated line at all is dated `now`.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { TrtError } from '../../core/errors.js';
import type { LogLine } from '../model.js';
import { fromFileLine, type FileLine } from './normalize.js';

/** The lines of `input`, in order, each dated. */
export async function* logLinesOf(input: Readable, source: 'file' | 'stdin', now: Date): AsyncGenerator<LogLine> {
  const reader = createInterface({ input, crlfDelay: Infinity });
  let lastTs: string | null = null;
  let undated: FileLine[] = [];
  for await (const text of reader) {
    const line = fromFileLine(text, source);
    if (!line) continue;
    if (line.ts === null && lastTs === null) {
      undated.push(line);
      continue;
    }
    const ts: string = line.ts ?? lastTs!;
    for (const early of undated) yield { ...early, ts };
    undated = [];
    lastTs = ts;
    yield { ...line, ts };
  }
  for (const early of undated) yield { ...early, ts: now.toISOString() };
}

/** A readable log file, or a TrtError saying why it cannot be read. */
export function openLogFile(path: string): Readable {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TrtError('LOG_SOURCE', `cannot read the log file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`, 'check --file, or pipe the logs in with --source -');
  }
  if (!isFile) throw new TrtError('LOG_SOURCE', `cannot read the log file ${path}: not a file`, 'give --file the path of a log file');
  return createReadStream(path, { encoding: 'utf8' });
}
