/**
 * YAML files checked by a JSON Schema shipped with trt (product/truth.yaml, product/models.yaml):
 * parse with line tracking, validate, and map every schema problem back to its YAML line so the
 * user can fix all of them in one pass.
 *
 * @example
 * const { data, lineOf } = parseYamlWithSchema(text, 'product/models.yaml', {
 *   schema: 'schemas/models.schema.json',
 *   codes: { yaml: 'MODELS_INVALID_YAML', schema: 'MODELS_SCHEMA' },
 *   minimum: '`version: 1` and `models:`',
 * });
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020 as Ajv2020Class, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { contentHash } from './digest.js';
import { TrtError, type ErrorCode } from './errors.js';
import { packageFile } from './package-root.js';
import { toolCacheFile, writeFileAtomically } from './tool-cache.js';

export type JsonPath = readonly (string | number)[];

/** How one kind of file is checked and how its problems are reported. */
export interface YamlSchemaCheck {
  /** The schema, relative to trt's package root; messages name it as written here. */
  schema: string;
  /** The codes of the two ways the file can be wrong: YAML that does not parse, data the schema refuses. */
  codes: { yaml: ErrorCode; schema: ErrorCode };
  /** What an empty file needs at least, e.g. "`version: 1`". */
  minimum: string;
  /** Wording for problems only this schema has (a `oneOf`, a forbidden name); undefined keeps the generic wording. */
  describe?: (error: ErrorObject) => string | undefined;
}

/** Schema-valid data together with a way to point back into the text it came from. */
export interface ParsedYaml {
  data: unknown;
  /** 1-based line of the node at a JSON path such as `['database', 'lock_key']`; 1 when unknown. */
  lineOf(path: JsonPath): number;
  /**
   * Names this text under this schema's text, which it passed: a caller that keeps it (the verify
   * cache) hands it back as {@link ParseOptions.validDigest} to skip the schema next time.
   */
  validDigest: string;
}

export interface ParseOptions {
  /** A {@link ParsedYaml.validDigest} kept from an earlier run: when it names this text and schema, the schema is not run again. */
  validDigest?: string;
}

const schemaTexts = new Map<string, string>();
const compiled = new Map<string, ValidateFunction>();

function shippedSchemaText(schemaFile: string): string {
  let text = schemaTexts.get(schemaFile);
  if (text === undefined) {
    text = readFileSync(packageFile(schemaFile), 'utf8');
    schemaTexts.set(schemaFile, text);
  }
  return text;
}

const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true };

/**
 * The validator of a schema shipped with trt. ajv generates its code once per machine (ajv's
 * standalone mode) into the tool cache: loading ajv and compiling the truth schema take about a
 * quarter of a second, on every run that must validate.
 */
function shippedValidator(schemaFile: string): ValidateFunction {
  let validate = compiled.get(schemaFile);
  if (validate) return validate;
  const require = createRequire(import.meta.url);
  const schemaText = shippedSchemaText(schemaFile);
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const generated = toolCacheFile(`validators/${contentHash(schemaText, ajvVersion, JSON.stringify(AJV_OPTIONS))}.cjs`);
  try {
    validate = require(generated) as ValidateFunction;
  } catch {
    const { Ajv2020 } = require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020Class };
    const { default: standaloneCode } = require('ajv/dist/standalone/index.js') as { default: (ajv: Ajv2020Class, validate: ValidateFunction) => string };
    const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true } });
    validate = ajv.compile(JSON.parse(schemaText) as object);
    writeFileAtomically(generated, standaloneCode(ajv, validate));
  }
  compiled.set(schemaFile, validate);
  return validate;
}

function validDigestOf(text: string, check: YamlSchemaCheck): string {
  return contentHash(shippedSchemaText(check.schema), text);
}

/**
 * Parses `text` (read from `path`) and validates it against `check.schema`. Throws a
 * {@link TrtError} with one `path:line: problem` detail per problem, sorted by line.
 */
export function parseYamlWithSchema(text: string, path: string, check: YamlSchemaCheck, options: ParseOptions = {}): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  if (document.errors.length > 0) {
    throw new TrtError(
      check.codes.yaml,
      `${path} is not valid YAML (${plural(document.errors.length, 'problem')})`,
      'fix the YAML syntax at the lines named above',
      document.errors.map((error) => `${path}:${lineAt(error.pos[0])}: ${firstLine(error.message)}`),
    );
  }

  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    // e.g. a billion-laughs file: more alias expansions than the parser allows.
    throw new TrtError(check.codes.yaml, `${path} cannot be read as YAML (${firstLine(error instanceof Error ? error.message : String(error))})`, 'write the values out instead of through aliases');
  }
  const lineOf = (jsonPath: JsonPath): number => {
    const node = nodeAt(document.contents, jsonPath);
    return node?.range ? lineAt(node.range[0]) : 1;
  };

  const validDigest = validDigestOf(text, check);
  if (options.validDigest === validDigest) return { data, lineOf, validDigest };
  const validate = shippedValidator(check.schema);
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
        const wording = check.describe?.(error) ?? describe(error, data, namePattern(error), check.minimum);
        return { line, text: `${path}:${line}: ${displayPath(keyPath)} ${wording}` };
      })
      .sort((a, b) => a.line - b.line)
      .map((problem) => problem.text);
    throw new TrtError(
      check.codes.schema,
      `${path} does not match ${check.schema} (${plural(problems.length, 'problem')})`,
      'fix each line above; editors that read the `# yaml-language-server: $schema=` line complete and check keys as you type',
      problems,
    );
  }
  return { data, lineOf, validDigest };
}

/** A JSON path as messages show it: `routes[1].method`, or `(top level)`. */
export function displayPath(path: JsonPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Where a problem is: the key itself for an unknown or badly named key, else the value. */
function problemKeyPath(error: ErrorObject, jsonPath: (string | number)[]): (string | number)[] {
  if (error.keyword === 'additionalProperties') return [...jsonPath, String((error.params as { additionalProperty: string }).additionalProperty)];
  if (error.keyword === 'propertyNames') return [...jsonPath, String((error.params as { propertyName: string }).propertyName)];
  return jsonPath;
}

/**
 * The errors worth showing, one per problem. ajv reports a bad property name twice (the inner
 * error, then `propertyNames`): the second one, which names the key, is kept. A failed `oneOf`
 * reports every branch's complaint: when the value went wrong inside the object form (a wrong
 * type inside, an unknown key) those precise errors are kept; otherwise the `oneOf` summary alone
 * says what the value may be.
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

/** The value at a JSON pointer (`/queue/depth`) inside `data`; undefined when there is none. */
export function valueAt(data: unknown, pointer: string): unknown {
  let value = data;
  for (const part of pointerToPath(pointer)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function describe(error: ErrorObject, data: unknown, namePattern: string | undefined, minimum: string): string {
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
    case 'propertyNames':
      return namePattern ? `is not an allowed name here (names must match ${JSON.stringify(namePattern)})` : 'is not an allowed name here';
    case 'type':
      return error.instancePath === '' && (data === null || data === undefined)
        ? `is empty: the file needs at least ${minimum}`
        : `must be ${String(params.type)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** A JSON pointer's parts, unescaped (`~1` is `/`, `~0` is `~`); array indexes as numbers. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function nodeAt(root: unknown, path: JsonPath): YamlNode | undefined {
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
function lineOfKey(root: unknown, path: JsonPath, lineAt: (offset: number) => number): number | undefined {
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
