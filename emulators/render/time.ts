/**
 * Times on the Render emulator's wire. Log positions are kept in nanoseconds since the epoch
 * (bigint: past 2^53) so that logs written in the same millisecond still have distinct, ordered
 * positions: the page bounds the emulator hands out (`nextStartTime`, `nextEndTime`) carry all
 * nine fractional digits and land between two such logs, never on a millisecond that two pages
 * share.
 */

export type Nanos = bigint;

export const NANOS_PER_MS = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const UNIX_SECONDS = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/** RFC 3339 (any fraction up to nanoseconds) or Unix seconds (Render accepts both); null when neither. */
export function parseWireTime(text: string): Nanos | null {
  const unix = UNIX_SECONDS.exec(text);
  if (unix) return BigInt(unix[1]!) * NANOS_PER_SECOND + fractionNanos(unix[2]);
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [, date, time, fraction, zone] = match;
  const wholeSecondMs = Date.parse(`${date}T${time}${zone!.toUpperCase()}`);
  if (Number.isNaN(wholeSecondMs)) return null;
  return BigInt(wholeSecondMs) * NANOS_PER_MS + fractionNanos(fraction);
}

/** `2026-11-23T13:53:50.544000003Z`: RFC 3339 with all nine fractional digits. */
export function formatNanos(nanos: Nanos): string {
  const wholeSeconds = nanos / NANOS_PER_SECOND - (nanos < 0n && nanos % NANOS_PER_SECOND !== 0n ? 1n : 0n);
  const fraction = nanos - wholeSeconds * NANOS_PER_SECOND;
  const seconds = new Date(Number(wholeSeconds) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${fraction.toString().padStart(9, '0')}Z`;
}

export function millisToNanos(ms: number): Nanos {
  return BigInt(ms) * NANOS_PER_MS;
}

function fractionNanos(digits: string | undefined): bigint {
  return digits ? BigInt(digits.padEnd(9, '0')) : 0n;
}
