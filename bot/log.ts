/**
 * pino, with every env.secret value cut out of each line before it is written: redaction by
 * value, not by path, because a token leaks through error messages and URLs, not only through
 * fields we know about.
 */
import { pino, type Logger } from 'pino';
import { redactor } from '../cli/core/redact.js';

export function createLogger(level: string, secretValues: readonly string[], destination?: NodeJS.WritableStream): Logger {
  const redact = redactor(secretValues);
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: redact },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
