/**
 * pino, with every env.secret value cut out of each line before it is written: redaction by
 * value, not by path, because a token leaks through error messages and URLs, not only through
 * fields we know about.
 */
import { pino, type Logger } from 'pino';

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

/** Replaces each secret value (and its URL-encoded form) with `[REDACTED]`. */
export function redactor(secretValues: readonly string[]): (line: string) => string {
  const needles = [...new Set(secretValues.flatMap((value) => [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]))]
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (line) => line;
  const pattern = new RegExp(needles.map(escapeRegExp).join('|'), 'g');
  return (line) => line.replace(pattern, '[REDACTED]');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
