/**
 * Loading product/truth.yaml: parse, validate against schemas/truth.schema.json, and map every
 * schema problem back to its YAML line so the user can fix all of them in one pass.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TrtError } from './errors.js';
import { parseYamlWithSchema, type ParseOptions, type YamlSchemaCheck } from './yaml-schema.js';

export type Severity = 'error' | 'warn';
export type SeveritySetting = Severity | 'off';
export type RuleSetting = SeveritySetting | { severity?: SeveritySetting; options?: Record<string, unknown>; exclude?: string[] };

export interface TruthRoute {
  method: string;
  path: string;
  auth?: 'none' | 'webhook_secret' | 'admin';
  sla_ms?: number;
}

export interface ForbiddenLogPattern {
  id: string;
  pattern: string;
  severity: 'P0' | 'P1' | 'P2';
  axes?: Partial<Record<'revenue' | 'generation' | 'ux' | 'silent_failure' | 'ops_risk', number>>;
  action?: string;
}

/** The typed shape of product/truth.yaml; the schema is the authority, this mirrors it. */
export interface Truth {
  version: 1;
  product?: { name: string; version?: string; environment?: string };
  entrypoint?: { blessed: string; command?: string; forbidden?: string[] };
  modes?: Record<string, { may: string[] }>;
  routes?: TruthRoute[];
  env?: {
    required?: string[];
    optional?: Record<string, string | number | boolean>;
    forbidden?: string[];
    secret?: string[];
  };
  database?: {
    migrations?: string;
    lock_key?: number;
    heartbeat_interval_s?: number;
    stale_heartbeat_s?: number;
    stale_idle_s?: number;
  };
  queue?: { capacity?: number; workers?: number };
  generation?: { models?: string; deadline_s?: number; poll_interval_s?: number };
  security?: { webhook_secret_env?: string; admin_secret_env?: string; body_limit_bytes?: number };
  legacy?: { quarantine?: string };
  required_files?: string[];
  verify?: { include?: string[]; exclude?: string[]; rules?: Record<string, RuleSetting> };
  observability?: {
    forbidden_log_patterns?: ForbiddenLogPattern[];
    detectors?: Record<string, Partial<Pick<ForbiddenLogPattern, 'severity' | 'axes' | 'action'>>>;
    db?: Partial<Record<'long_running_s' | 'idle_in_transaction_s' | 'lock_wait_s' | 'cache_hit_min_pct' | 'sequence_used_max_pct' | 'connections_used_max_pct' | 'inbox_backlog_max' | 'error_events_per_hour_max' | 'slow_statement_ms', number>>;
  };
  invariants?: { id: string; statement: string; proved_by: string[] }[];
  smoke?: { chat_id?: number; max_requests?: number; scenarios?: Record<string, Record<string, unknown>> };
  release?: {
    steps?: string[];
    test_command?: string;
    watch_minutes?: number;
    tag_format?: string;
    definition_of_done?: { consecutive_clean_releases?: number };
  };
}

/** A validated truth file together with what is needed to point back into it. */
export interface LoadedTruth {
  truth: Truth;
  /** Path as given (absolute or relative to the cwd). */
  path: string;
  /** The raw text, e.g. for cache keys. */
  text: string;
  /** 1-based line of the node at a JSON path such as `['database', 'lock_key']`; 1 when unknown. */
  lineOf(path: readonly (string | number)[]): number;
  /** Hand it back to {@link loadTruth} to skip the schema while the text and the schema stay the same. */
  validDigest: string;
}

const TRUTH_CHECK: YamlSchemaCheck = {
  schema: 'schemas/truth.schema.json',
  codes: { yaml: 'TRUTH_INVALID_YAML', schema: 'TRUTH_SCHEMA' },
  minimum: '`version: 1`',
  // The only oneOf in the truth schema is a rule setting.
  describe: (error) => (error.keyword === 'oneOf' ? 'must be a severity ("error", "warn", "off") or { severity, options }' : undefined),
};

/** Reads and validates a truth file; throws a {@link TrtError} naming every problem. */
/** `<root>/product/truth.yaml` unless --truth names another file; absolute. */
export function truthPathFor(root: string, truth: string | undefined): string {
  return resolve(truth ?? join(root, 'product', 'truth.yaml'));
}

export function loadTruth(path: string, options: ParseOptions = {}): LoadedTruth {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TrtError(
      'TRUTH_NOT_FOUND',
      `cannot read the truth file ${path}`,
      'create it with `trt init`, or point at it with --truth FILE',
    );
  }
  return parseTruth(text, path, options);
}

/** Validates truth text already in memory (the pure core of {@link loadTruth}). */
export function parseTruth(text: string, path: string, options: ParseOptions = {}): LoadedTruth {
  const { data, lineOf, validDigest } = parseYamlWithSchema(text, path, TRUTH_CHECK, options);
  return { truth: data as Truth, path, text, lineOf, validDigest };
}
