/**
 * Loading product/truth.yaml: parse, validate against schemas/truth.schema.json, and map every
 * schema problem back to its YAML line so the user can fix all of them in one pass.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { TrtError } from './errors.js';
import { packageFile } from './package-root.js';

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
  security?: { webhook_secret_env?: string; admin_secret_env?: string; body_limit_bytes?: number };
  legacy?: { quarantine?: string };
  required_files?: string[];
  verify?: { include?: string[]; exclude?: string[]; rules?: Record<string, RuleSetting> };
  observability?: { forbidden_log_patterns?: ForbiddenLogPattern[] };
  invariants?: { id: string; statement: string; proved_by: string[] }[];
  smoke?: { chat_id?: number; scenarios?: Record<string, Record<string, unknown>> };
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
}

let compiledValidator: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;

function validator() {
  if (!compiledValidator) {
    const require = createRequire(import.meta.url);
    const schema = require(packageFile('schemas/truth.schema.json')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    compiledValidator = ajv.compile(schema);
  }
  return compiledValidator;
}

/** Reads and validates a truth file; throws a {@link TrtError} naming every problem. */
export function loadTruth(path: string): LoadedTruth {
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
  return parseTruth(text, path);
}

/** Validates truth text already in memory (the pure core of {@link loadTruth}). */
export function parseTruth(text: string, path: string): LoadedTruth {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  if (document.errors.length > 0) {
    throw new TrtError(
      'TRUTH_INVALID_YAML',
      `${path} is not valid YAML (${document.errors.length} problem${document.errors.length === 1 ? '' : 's'})`,
      'fix the YAML syntax at the lines named above',
      document.errors.map((error) => `${path}:${lineAt(error.pos[0])}: ${firstLine(error.message)}`),
    );
  }

  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    // e.g. a billion-laughs file: more alias expansions than the parser allows.
    throw new TrtError('TRUTH_INVALID_YAML', `${path} cannot be read as YAML (${firstLine(error instanceof Error ? error.message : String(error))})`, 'write the values out instead of through aliases');
  }
  const lineOf = (jsonPath: readonly (string | number)[]): number => {
    const node = nodeAt(document.contents, jsonPath);
    return node?.range ? lineAt(node.range[0]) : 1;
  };

  const validate = validator();
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    // The pattern a property name failed, reported by ajv beside the propertyNames error.
    const namePattern = (error: ErrorObject) =>
      errors.find((inner) => inner.keyword === 'pattern' && inner.instancePath === error.instancePath && inner.propertyName === (error.params as { propertyName?: string }).propertyName)
        ?.params.pattern as string | undefined;
    const problems = reportableErrors(errors, data)
      .map((error) => {
        const jsonPath = pointerToPath(error.instancePath);
        const keyPath = problemKeyPath(error, jsonPath);
        const line = lineOfKey(document.contents, keyPath, lineAt) ?? lineOf(jsonPath);
        return { line, text: `${path}:${line}: ${displayPath(keyPath)} ${describe(error, data, namePattern(error))}` };
      })
      .sort((a, b) => a.line - b.line)
      .map((problem) => problem.text);
    throw new TrtError(
      'TRUTH_SCHEMA',
      `${path} does not match schemas/truth.schema.json (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
      'fix each line above; editors that read the `# yaml-language-server: $schema=` line complete and check keys as you type',
      problems,
    );
  }
  return { truth: data as Truth, path, text, lineOf };
}

/** Where a problem is: the key itself for an unknown or badly named key, else the value. */
function problemKeyPath(error: ErrorObject, jsonPath: (string | number)[]): (string | number)[] {
  if (error.keyword === 'additionalProperties') return [...jsonPath, String((error.params as { additionalProperty: string }).additionalProperty)];
  if (error.keyword === 'propertyNames') return [...jsonPath, String((error.params as { propertyName: string }).propertyName)];
  return jsonPath;
}

/**
 * The errors worth showing, one per problem. ajv reports a bad property name twice (the inner
 * pattern error, then `propertyNames`): the second one, which names the key, is kept. A failed
 * `oneOf` (a rule setting) reports every branch's complaint: when the value went wrong inside
 * the object form (`options` not an object, an unknown key) those precise errors are kept;
 * otherwise the `oneOf` summary alone says what the value may be.
 */
function reportableErrors(errors: readonly ErrorObject[], data: unknown): ErrorObject[] {
  const named = errors.filter((error) => error.propertyName === undefined);
  const oneOfPaths = new Set(named.filter((error) => error.keyword === 'oneOf').map((error) => error.instancePath));
  const isUnder = (error: ErrorObject, path: string) => error.instancePath.startsWith(`${path}/`);
  const isPreciseAt = (error: ErrorObject, path: string) =>
    isUnder(error, path) || (error.instancePath === path && (error.keyword === 'additionalProperties' || error.keyword === 'required'));
  const precise = new Set([...oneOfPaths].filter((path) => isObject(valueAt(data, path)) && named.some((error) => isPreciseAt(error, path))));
  return named.filter((error) => {
    for (const path of oneOfPaths) {
      if (error.instancePath !== path && !isUnder(error, path)) continue;
      if (precise.has(path)) return isPreciseAt(error, path);
      return error.keyword === 'oneOf';
    }
    return true;
  });
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(data: unknown, pointer: string): unknown {
  let value = data;
  for (const part of pointerToPath(pointer)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function describe(error: ErrorObject, data: unknown, namePattern: string | undefined): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return 'is not a known key (check its spelling; the schema lists the allowed keys)';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'required':
      return `is missing the required key "${String(params.missingProperty)}"`;
    case 'oneOf':
      return 'must be a severity ("error", "warn", "off") or { severity, options }';
    case 'propertyNames':
      return namePattern ? `is not an allowed name here (names must match ${JSON.stringify(namePattern)})` : 'is not an allowed name here';
    case 'type':
      return error.instancePath === '' && (data === null || data === undefined)
        ? 'is empty: the file needs at least `version: 1`'
        : `must be ${String(params.type)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function displayPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function nodeAt(root: unknown, path: readonly (string | number)[]): YamlNode | undefined {
  let node = root as YamlNode | null | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      node = pair?.value as YamlNode | undefined;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part] as YamlNode | undefined;
    } else {
      return undefined;
    }
  }
  return node ?? undefined;
}

/** The line of the key itself (for unknown keys the value may sit on another line). */
function lineOfKey(root: unknown, path: readonly (string | number)[], lineAt: (offset: number) => number): number | undefined {
  if (path.length === 0) return undefined;
  const parent = nodeAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
  const key = pair?.key as YamlNode | undefined;
  return key?.range ? lineAt(key.range[0]) : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
