/**
 * The shapes `trt ops` works in, shared by its parts: log lines (from Render or the bot's own
 * JSON logs), database checks, the scored issues of critical5 and the snapshot that combines
 * them. Every string in them is redacted before it leaves the process.
 */

/** One log line, whatever its source, normalised. */
export interface LogLine {
  /** ISO 8601 (UTC). */
  ts: string;
  /** Lower case: debug, info, warn, error, fatal; null when the source does not say. */
  level: string | null;
  /** The text, ANSI colour codes stripped, secrets redacted. */
  message: string;
  source: 'render' | 'file' | 'stdin';
  /** Render's instance label, or the bot's pid; null when unknown. */
  instance: string | null;
  /** Render labels flattened (`{ name, value }[]` → record), or the JSON fields of a bot log line. */
  labels: Record<string, string>;
}

export interface LogWindow {
  /** ISO 8601. */
  since: string;
  until: string;
}

export interface LogFetch {
  lines: LogLine[];
  window: LogWindow;
  source: LogLine['source'];
  /** Requests made (Render) and how many were 429s waited out, for the report. */
  requests: number;
  rateLimited: number;
}

export type CheckStatus = 'ok' | 'warn' | 'critical' | 'unavailable';

/** One read-only database check: its verdict and the numbers behind it. */
export interface DbCheck {
  /** Stable id, e.g. `long-running-queries`, `cache-hit-ratio`, `advisory-lock-holder`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** One line a person reads first: what was found, with the figure. */
  summary: string;
  /** The figures the verdict is based on, thresholds included (JSON numbers, strings, null). */
  numbers: Record<string, number | string | boolean | null>;
  /** Up to 20 offending rows (query text cut to 200 chars and redacted). */
  rows?: Record<string, unknown>[];
}

export interface DbReport {
  /** The database, as `host:port/dbname` — never the credentials. */
  target: string;
  checkedAt: string;
  serverVersion: string;
  /** When pg_stat_* counters were last reset: "unused" only means unused since then. */
  statsResetAt: string | null;
  checks: DbCheck[];
}

export const AXES = ['revenue', 'generation', 'ux', 'silent_failure', 'ops_risk'] as const;
export type Axis = (typeof AXES)[number];
export type Priority = 'P0' | 'P1' | 'P2';

/** One problem critical5 found, scored 0–10 on each axis. */
export interface Issue {
  /** The detector or log pattern id, e.g. `json-serialization`, `stale-heartbeat`. */
  id: string;
  title: string;
  source: 'logs' | 'db';
  priority: Priority;
  axes: Record<Axis, number>;
  /** Sum of the axes: what the top five are ranked by. */
  total: number;
  evidence: {
    count: number;
    firstSeen: string | null;
    lastSeen: string | null;
    /** Up to 3 sample lines or rows, redacted. */
    samples: string[];
    /** Detector-specific figures (e.g. heartbeat age, backlog depth). */
    numbers?: Record<string, number | string | null>;
  };
  action: string;
}

/** Why a source is missing from a report: the text a person acts on (never a secret). */
export interface Unavailable {
  logs?: string;
  db?: string;
}

export interface Critical5 {
  generatedAt: string;
  window: LogWindow | null;
  /** How many issues the detectors raised before the cut to five. */
  found: number;
  /** The top five by total (ties: priority, then count). Empty when the state is clean. */
  top: Issue[];
  /** Present when a source could not be read or was left out: the issues come from the other one only. */
  unavailable?: Unavailable;
}

export interface Snapshot {
  generatedAt: string;
  logs: { source: LogLine['source']; window: LogWindow; lines: number; byLevel: Record<string, number> } | null;
  db: DbReport | null;
  critical5: Critical5;
  /** Present when a source could not be read or was left out. */
  unavailable?: Unavailable;
}
