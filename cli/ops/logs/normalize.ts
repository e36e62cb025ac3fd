/**
 * Every source's log lines turned into one {@link LogLine}: Render's `{ name, value }` labels
 * flattened, ANSI colour codes stripped, levels lower case in pino's vocabulary (trace, debug,
 * info, warn, error, fatal). A bot line is pino JSON whether it comes from a file, stdin or
 * Render (the bot writes JSON to stdout, Render carries it as the message): its `msg` becomes the
 * message, with the error's own message added when `msg` does not say it (what an error was is
 * what a reader, grep and the detectors look for), and every other field becomes a label.
 */
import type { LogLine } from '../model.js';

/** One log as Render's `GET /v1/logs` returns it. */
export interface RenderLogWire {
  id?: string;
  message?: unknown;
  timestamp?: unknown;
  labels?: unknown;
}

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

const PINO_LEVELS: Record<number, Level> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SYNONYMS: Record<string, Level> = { warning: 'warn', err: 'error', critical: 'fatal', crit: 'fatal', panic: 'fatal', dbg: 'debug', information: 'info' };
/** CSI sequences (colours, cursor moves) and the two-character escapes such as `ESC(B`. */
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[()][A-Za-z0-9]|\u001b[@-Z\\-_]/g;
const PINO_OWN_FIELDS = new Set(['msg', 'level', 'time']);

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Lower case, pino's names; pino's numbers mapped; null when there is no level. */
export function normalizeLevel(value: unknown): string | null {
  if (typeof value === 'number') return PINO_LEVELS[value] ?? (value >= 60 ? 'fatal' : value >= 50 ? 'error' : value >= 40 ? 'warn' : value >= 30 ? 'info' : value >= 20 ? 'debug' : 'trace');
  if (typeof value !== 'string' || value.trim() === '') return null;
  const lower = value.trim().toLowerCase();
  if (/^\d+$/.test(lower)) return normalizeLevel(Number(lower));
  return SYNONYMS[lower] ?? lower;
}

/** True when `level` is `minimum` or more severe; a line without a known level never is. */
export function levelAtLeast(level: string | null, minimum: Level): boolean {
  const rank = LEVELS.indexOf(level as Level);
  return rank >= 0 && rank >= LEVELS.indexOf(minimum);
}

export function fromRenderLog(log: RenderLogWire): LogLine {
  const labels: Record<string, string> = {};
  if (Array.isArray(log.labels)) {
    for (const label of log.labels as { name?: unknown; value?: unknown }[]) {
      if (typeof label?.name === 'string') labels[label.name] = typeof label.value === 'string' ? label.value : JSON.stringify(label.value ?? null);
    }
  }
  const text = stripAnsi(typeof log.message === 'string' ? log.message : JSON.stringify(log.message ?? ''));
  const ts = isoTime(log.timestamp) ?? new Date(0).toISOString();
  const bot = parsePino(text);
  if (bot) {
    return {
      ts,
      level: bot.level ?? normalizeLevel(labels.level),
      message: bot.message,
      source: 'render',
      instance: labels.instance ?? null,
      labels: { ...bot.labels, ...labels },
    };
  }
  return { ts, level: normalizeLevel(labels.level), message: text, source: 'render', instance: labels.instance ?? null, labels };
}

/** A file line before dating: `ts` is null when the line carries no time of its own. */
export type FileLine = Omit<LogLine, 'ts'> & { ts: string | null };

/**
 * One line of a log file: pino JSON, a Render log as `render logs -o json` prints it, or anything
 * else kept as a plain message. Null for a blank line.
 */
export function fromFileLine(text: string, source: 'file' | 'stdin'): FileLine | null {
  const clean = stripAnsi(text).replace(/\r$/, '');
  if (clean.trim() === '') return null;
  const rendered = parseRenderJson(clean);
  if (rendered) return { ...fromRenderLog(rendered), source };
  const bot = parsePino(clean);
  if (!bot) return { ts: null, level: null, message: clean, source, instance: null, labels: {} };
  return { ts: bot.ts, level: bot.level, message: bot.message, source, instance: bot.labels.pid ?? null, labels: bot.labels };
}

function parseRenderJson(text: string): RenderLogWire | null {
  const fields = parseObject(text);
  if (!fields || typeof fields.message !== 'string' || !Array.isArray(fields.labels) || isoTime(fields.timestamp) === null) return null;
  return fields;
}

interface PinoLine {
  ts: string | null;
  level: string | null;
  message: string;
  labels: Record<string, string>;
}

function parsePino(text: string): PinoLine | null {
  const fields = parseObject(text);
  if (!fields || (!('msg' in fields) && !('level' in fields))) return null;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!PINO_OWN_FIELDS.has(name)) labels[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { ts: isoTime(fields.time), level: normalizeLevel(fields.level), message: messageOf(fields, text.trim()), labels };
}

/** The JSON object a line holds, or null when it holds something else. */
function parseObject(text: string): Record<string, unknown> | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `msg`, plus the error's message when `msg` does not already carry it. */
function messageOf(fields: Record<string, unknown>, raw: string): string {
  const msg = typeof fields.msg === 'string' ? fields.msg : typeof fields.event === 'string' ? fields.event : null;
  const error = fields.err ?? fields.error;
  const errorMessage =
    typeof error === 'string' ? error : typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : null;
  if (msg === null) return errorMessage ?? raw;
  if (errorMessage === null || errorMessage === '' || msg.includes(errorMessage)) return msg;
  return `${msg}: ${errorMessage}`;
}

/** ISO 8601 (UTC) of an ISO string or Unix milliseconds; null when it is neither. */
function isoTime(value: unknown): string | null {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
