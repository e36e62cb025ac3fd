/**
 * Secrets never reach a log line, a report or an artifact. Redaction is by value, not by field
 * path: a token leaks through error messages, URLs and response bodies, not only through fields
 * we know about. The shapes of secrets trt cannot know the value of (another bot's token, a
 * bearer header, a password in a URL) are cut out by pattern as well.
 */

export const REDACTED = '[REDACTED]';

/** Replaces each secret value (raw, URL-encoded and JSON-escaped) with `[REDACTED]`. */
export function redactor(secretValues: readonly string[]): (text: string) => string {
  const needles = [...new Set(secretValues.flatMap((value) => [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]))]
    // Shorter values would redact ordinary words and numbers; nothing that short is a secret.
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  const pattern = new RegExp(needles.map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}

const SECRET_SHAPES: readonly [RegExp, string][] = [
  // A Telegram bot token: <bot id>:<35 characters>, also inside api.telegram.org/bot<token>/ URLs.
  [/(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}(?![A-Za-z0-9_-])/g, REDACTED],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  // user:password@ in any URL (postgres://, https://).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s"]+:)[^@\s/"]+@/gi, `$1${REDACTED}@`],
];

/** {@link redactor} plus the shapes of secrets whose values trt does not know. */
export function secretRedactor(secretValues: readonly string[]): (text: string) => string {
  const byValue = redactor(secretValues);
  return (text) => SECRET_SHAPES.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), byValue(text));
}

/** The values of the named environment variables that are set: what must never be printed. */
export function secretValuesFrom(names: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  return names.map((name) => env[name]).filter((value): value is string => typeof value === 'string' && value !== '');
}

/**
 * Applies `redact` to every string inside a JSON value (keys included), returning a copy. String
 * by string, not over the JSON text: a secret that ends in a backslash must not eat the escape of
 * a quote that follows it.
 */
export function redactJson<T>(value: T, redact: (text: string) => string): T {
  return redactValue(value, redact) as T;
}

function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key), redactValue(item, redact)]));
  }
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
