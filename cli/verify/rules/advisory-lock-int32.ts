/**
 * The singleton lock and every other advisory lock of the product live in signed int32 space
 * (SPEC §8, invariant `signed-int32-lock`). A key outside it breaks in two ways: the two-key
 * form `pg_advisory_lock(int4, int4)` does not exist for a bigint argument, so the call fails
 * with "function … does not exist" (the heartbeat silently stops); the one-key bigint form works
 * but the lock appears in `pg_locks` split across `classid`/`objid`, so /health, `trt ops` and
 * the takeover logic, which look for the int4 key in `objid`, never see it.
 *
 * Checked: `database.lock_key` in truth.yaml; literal keys of `pg_*advisory*(…)` calls in SQL
 * text inside code (strings, templates — their `${…}` substitutions — and the `$n` parameters
 * of `query(text, [values])` / `query({ text, values })`, following a same-file `const` one
 * level), and in every `.sql` file of the repository (function and `DO` bodies included).
 * Comments and strings inside the SQL are skipped by the SQL tokenizer.
 */
import picomatch from 'picomatch';
import type TS from 'typescript';
import { defineRule, type TypeScript } from '../rule.js';
import { constInitializer, literalTextOffsets, propertyValue, unwrapExpression, walk } from '../scan/ast.js';
import { callArguments, integerValue, keyword, lineColumnOf, tokenizeSql, type SqlToken } from '../scan/sql.js';
import { lineOfText, truthValueColumn } from '../truth-column.js';

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const RANGE = `${INT32_MIN}..${INT32_MAX}`;

/** `pg_advisory_lock`, `pg_try_advisory_xact_lock_shared`, `pg_advisory_unlock`, … */
const ADVISORY_FUNCTION = /^pg_\w*advisory\w*$/i;

/** Names the `${…}` substitutions of a template take in the SQL text scanned for keys. */
const SUBSTITUTION = 'trt_substitution_';

/** A literal lock key and where it is written (a text offset of the file it was found in). */
export interface KeyLiteral {
  value: bigint;
  offset: number;
}

export interface AdvisoryKey extends KeyLiteral {
  /** The function as written, e.g. `pg_try_advisory_lock`. */
  fn: string;
  /** 1: the bigint form; 2: the two-int4 form. */
  arity: number;
}

export interface AdvisoryScanOptions {
  /** Maps an offset of the scanned SQL text to an offset of the file (SQL inside code). */
  mapOffset?: (offset: number) => number;
  /** The literal a `$n` parameter or a substitution placeholder stands for, if there is one. */
  resolve?: (token: SqlToken) => KeyLiteral | undefined;
}

export default defineRule({
  id: 'advisory-lock-int32',
  description: 'Advisory lock keys (database.lock_key, literal keys of pg_*advisory* calls in code and .sql files) must fit a signed 32-bit integer.',
  defaultSeverity: 'error',
  optionsSchema: { type: 'object', additionalProperties: false },
  defaultOptions: {},
  prefilter: /advisory/i,
  scanFile(ctx) {
    const { ts, sourceFile } = ctx;
    const reported = new Set<number>();
    const check = (sqlNode: SqlTextNode, params: TS.ArrayLiteralExpression | undefined) => {
      for (const key of keysInCode(ts, sourceFile, sqlNode, params)) {
        if (fitsInt32(key.value) || reported.has(key.offset)) continue;
        reported.add(key.offset);
        ctx.report({ pos: key.offset, ...describeKey(key) });
      }
    };
    walk(ts, sourceFile, (node) => {
      if (ts.isCallExpression(node)) {
        const query = queryOf(ts, node);
        if (query) check(query.sql, query.params);
      } else if (isSqlTextNode(ts, node)) {
        check(node, undefined);
      }
    });
  },
  check(ctx) {
    const lockKey = ctx.truth.database?.lock_key;
    if (typeof lockKey === 'number' && Number.isInteger(lockKey) && !fitsInt32(BigInt(lockKey))) {
      const line = ctx.truthLine(['database', 'lock_key']);
      const value = BigInt(lockKey);
      ctx.report({
        file: ctx.truthFile,
        line,
        column: truthValueColumn(lineOfText(ctx.readText(ctx.truthFile), line), 'lock_key'),
        message: `database.lock_key ${value} does not fit a signed 32-bit integer (${RANGE}): the singleton lock taken with it either fails (two-key form) or never shows up where /health and trt ops look for it in pg_locks.`,
        fix: `Set database.lock_key to a value within ${RANGE}${example(value)}.`,
      });
    }

    const exclude = ctx.truth.verify?.exclude ?? [];
    const excluded = exclude.length > 0 ? picomatch(exclude, { dot: true }) : () => false;
    for (const file of ctx.listFiles('')) {
      if (!/\.sql$/i.test(file) || ctx.isQuarantined(file) || excluded(file)) continue;
      const text = ctx.readText(file);
      if (!text || !/advisory/i.test(text)) continue;
      const position = lineColumnOf(text);
      for (const key of advisoryKeys(text)) {
        if (!fitsInt32(key.value)) ctx.report({ file, ...position(key.offset), ...describeKey(key) });
      }
    }
  },
});

export function fitsInt32(value: bigint): boolean {
  return value >= INT32_MIN && value <= INT32_MAX;
}

/** A key in int4 space derived from an out-of-range one: its value modulo 2^31. */
export function suggestedKey(value: bigint): bigint {
  const modulus = 2n ** 31n;
  return ((value % modulus) + modulus) % modulus;
}

/** `, e.g. N (value mod 2^31)`; nothing when that lands on 0, the key most likely to collide. */
function example(value: bigint): string {
  const suggestion = suggestedKey(value);
  return suggestion === 0n ? '' : `, e.g. ${suggestion} (${value} mod 2^31)`;
}

function describeKey(key: AdvisoryKey): { message: string; fix: string } {
  const why =
    key.arity === 2
      ? `${key.fn}(key1, key2) takes two int4 keys, so PostgreSQL rejects the call ("function ${key.fn}(…) does not exist") and the lock is never taken.`
      : `PostgreSQL splits such a key across pg_locks.classid/objid, so /health, trt ops and the takeover logic, which look for an int4 key, never see this lock.`;
  return {
    message: `Advisory lock key ${key.value} does not fit a signed 32-bit integer (${RANGE}): ${why}`,
    fix: `Use a key within ${RANGE}${example(key.value)}, or derive one with hashtext('lock name'), which returns an int4.`,
  };
}

/**
 * Literal keys of every `pg_*advisory*(…)` call in SQL text, including calls inside dollar-quoted
 * bodies (functions, `DO` blocks); comments and strings are skipped. Offsets are those of
 * `text`, passed through `mapOffset`.
 */
export function advisoryKeys(text: string, options: AdvisoryScanOptions = {}, range: { from?: number; to?: number } = {}): AdvisoryKey[] {
  const { tokens } = tokenizeSql(text, range);
  const keys: AdvisoryKey[] = [];
  tokens.forEach((token, index) => {
    if (token.kind === 'dollar-string') {
      keys.push(...advisoryKeys(text, options, { from: token.bodyStart!, to: token.bodyEnd! }));
      return;
    }
    if (token.kind !== 'word' || !ADVISORY_FUNCTION.test(token.text) || tokens[index + 1]?.text !== '(') return;
    const call = callArguments(tokens, index + 1);
    if (!call) return;
    for (const argument of call.args) {
      const key = literalArgument(argument, options);
      if (key) keys.push({ ...key, fn: token.text, arity: call.args.length });
    }
  });
  return keys;
}

/**
 * The literal an argument is, seen through parentheses and casts: `5`, `-5`, `'5'::bigint`,
 * `CAST(5 AS bigint)`, `bigint '5'`, or a parameter / substitution the caller can resolve.
 */
function literalArgument(argument: readonly SqlToken[], options: AdvisoryScanOptions): KeyLiteral | undefined {
  const tokens = withoutCasts(argument);
  const mapOffset = options.mapOffset ?? ((offset: number) => offset);
  const [first, second] = tokens;
  if (!first) return undefined;
  if (tokens.length === 1 && first.kind === 'number') {
    const value = integerValue(first.text);
    return value === undefined ? undefined : { value, offset: mapOffset(first.start) };
  }
  if (tokens.length === 2 && first.kind === 'operator' && (first.text === '-' || first.text === '+') && second?.kind === 'number') {
    const value = integerValue(second.text);
    return value === undefined ? undefined : { value: first.text === '-' ? -value : value, offset: mapOffset(first.start) };
  }
  const string = tokens.length === 1 ? first : tokens.length === 2 && first.kind === 'word' && second?.kind === 'string' ? second : undefined;
  if (string?.kind === 'string' && /^\s*[+-]?\d+\s*$/.test(string.value)) {
    return { value: BigInt(string.value.trim()), offset: mapOffset(string.start) };
  }
  if (tokens.length === 1 && (first.kind === 'parameter' || first.kind === 'word')) return options.resolve?.(first);
  return undefined;
}

/** Strips wrapping parentheses, `::type` suffixes and `CAST(… AS type)`. */
function withoutCasts(argument: readonly SqlToken[]): readonly SqlToken[] {
  let tokens = argument;
  for (;;) {
    const cast = tokens.findIndex((token, index) => token.text === '::' && depthAt(tokens, index) === 0);
    if (tokens[0]?.text === '(' && callArguments(tokens, 0)?.close === tokens.length - 1) {
      tokens = tokens.slice(1, -1);
    } else if (keyword(tokens[0]) === 'cast' && tokens[1]?.text === '(' && callArguments(tokens, 1)?.close === tokens.length - 1) {
      const inner = tokens.slice(2, -1);
      const as = inner.findIndex((token, index) => keyword(token) === 'as' && depthAt(inner, index) === 0);
      if (as === -1) return tokens;
      tokens = inner.slice(0, as);
    } else if (cast > 0) {
      tokens = tokens.slice(0, cast);
    } else {
      return tokens;
    }
  }
}

function depthAt(tokens: readonly SqlToken[], index: number): number {
  let depth = 0;
  for (let at = 0; at < index; at++) {
    if (tokens[at]!.text === '(') depth++;
    else if (tokens[at]!.text === ')') depth--;
  }
  return depth;
}

type SqlTextNode = TS.StringLiteral | TS.NoSubstitutionTemplateLiteral | TS.TemplateExpression;

function isSqlTextNode(ts: TypeScript, node: TS.Node): node is SqlTextNode {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
}

/** The SQL text node an expression is, directly or through a same-file `const`. */
function sqlTextOf(ts: TypeScript, node: TS.Expression | undefined): SqlTextNode | undefined {
  if (!node) return undefined;
  if (isSqlTextNode(ts, node)) return node;
  const initializer = ts.isIdentifier(node) ? constInitializer(ts, node) : undefined;
  return initializer && isSqlTextNode(ts, initializer) ? initializer : undefined;
}

function arrayOf(ts: TypeScript, node: TS.Expression | undefined): TS.ArrayLiteralExpression | undefined {
  if (!node) return undefined;
  if (ts.isArrayLiteralExpression(node)) return node;
  const initializer = ts.isIdentifier(node) ? constInitializer(ts, node) : undefined;
  return initializer && ts.isArrayLiteralExpression(initializer) ? initializer : undefined;
}

/** `x.query(text, [values])` and `x.query({ text, values })`, whatever the client calls it. */
function queryOf(ts: TypeScript, call: TS.CallExpression): { sql: SqlTextNode; params: TS.ArrayLiteralExpression | undefined } | undefined {
  const [first, second] = call.arguments;
  const sql = sqlTextOf(ts, first);
  if (sql) return { sql, params: arrayOf(ts, second) };
  if (first && ts.isObjectLiteralExpression(first)) {
    const text = sqlTextOf(ts, propertyValue(ts, first, 'text'));
    if (text) return { sql: text, params: arrayOf(ts, propertyValue(ts, first, 'values')) };
  }
  return undefined;
}

/** Keys in one SQL text of the code; `$n` resolve into `params`, `${…}` into the substitution. */
function keysInCode(ts: TypeScript, sourceFile: TS.SourceFile, node: SqlTextNode, params: TS.ArrayLiteralExpression | undefined): AdvisoryKey[] {
  const parts = ts.isTemplateExpression(node) ? [node.head, ...node.templateSpans.map((span) => span.literal)] : [node];
  if (!parts.some((part) => /advisory/i.test(part.text))) return [];
  let text = '';
  const offsets: number[] = [];
  const substitutions = new Map<string, TS.Expression>();
  parts.forEach((part, index) => {
    const partOffsets = literalTextOffsets(ts, sourceFile, part);
    text += part.text;
    offsets.push(...partOffsets.slice(0, -1));
    const span = ts.isTemplateExpression(node) ? node.templateSpans[index] : undefined;
    if (span && index < parts.length - 1) {
      const placeholder = `${SUBSTITUTION}${index}`;
      substitutions.set(placeholder, span.expression);
      text += placeholder;
      offsets.push(...Array.from({ length: placeholder.length }, () => span.expression.getStart(sourceFile)));
    }
  });
  offsets.push(node.end);
  return advisoryKeys(text, {
    mapOffset: (offset) => offsets[offset] ?? node.getStart(sourceFile),
    resolve: (token) => {
      if (token.kind === 'parameter') {
        const element = params?.elements[Number(token.text.slice(1)) - 1];
        return element ? literalKey(ts, sourceFile, element, true) : undefined;
      }
      const substitution = substitutions.get(token.text);
      return substitution ? literalKey(ts, sourceFile, substitution, true) : undefined;
    },
  });
}

/**
 * The integer a code expression literally is: `5`, `-5`, `5_000n`, `'5'`, `BigInt('5')`, or —
 * when `followConst` — a same-file `const` initialised with one of those.
 */
function literalKey(ts: TypeScript, sourceFile: TS.SourceFile, expression: TS.Expression, followConst: boolean): KeyLiteral | undefined {
  const node = unwrapExpression(ts, expression);
  const offset = node.getStart(sourceFile);
  if (ts.isNumericLiteral(node)) {
    const value = integerValue(node.text);
    return value === undefined ? undefined : { value, offset };
  }
  if (ts.isBigIntLiteral(node)) return { value: BigInt(node.text.slice(0, -1).replace(/_/g, '')), offset };
  if (ts.isPrefixUnaryExpression(node) && (node.operator === ts.SyntaxKind.MinusToken || node.operator === ts.SyntaxKind.PlusToken)) {
    let inner: TS.Expression = node.operand;
    while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
    const operand = ts.isNumericLiteral(inner) || ts.isBigIntLiteral(inner) ? literalKey(ts, sourceFile, inner, false) : undefined;
    if (!operand) return undefined;
    return { value: node.operator === ts.SyntaxKind.MinusToken ? -operand.value : operand.value, offset };
  }
  if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && /^\s*[+-]?\d+\s*$/.test(node.text)) {
    return { value: BigInt(node.text.trim()), offset };
  }
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'BigInt' && node.arguments.length === 1) {
    return literalKey(ts, sourceFile, node.arguments[0]!, false);
  }
  if (followConst && ts.isIdentifier(node)) {
    const initializer = constInitializer(ts, node);
    return initializer ? literalKey(ts, sourceFile, initializer, false) : undefined;
  }
  return undefined;
}
