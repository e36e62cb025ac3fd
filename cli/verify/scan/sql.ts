/**
 * A small PostgreSQL lexer for the gates that read SQL: migration files, `.sql` scripts and SQL
 * text inside code. It knows exactly what makes text *not* a statement — `--` and nested
 * `/* *\/` comments, `'…'` strings with `''` escapes, `E'…'` strings with backslash escapes,
 * `"…"` identifiers and `$tag$…$tag$` bodies — so a `CREATE TABLE` in a comment, a string or a
 * function body is never mistaken for a top-level statement. Pure, no dependencies: `trt ops`
 * reuses it to read migrations.
 *
 * @example
 * ```ts
 * const { tokens } = tokenizeSql(text);
 * for (const statement of splitStatements(tokens)) {
 *   if (keyword(statement[0]) === 'create') …
 * }
 * // The body of `DO $$ … $$` or a function is one token; scan it like any other text:
 * const inner = tokenizeSql(text, { from: token.bodyStart, to: token.bodyEnd });
 * ```
 */

export type SqlTokenKind =
  /** A keyword or an unquoted identifier. */
  | 'word'
  /** `"…"`: an identifier that keeps its case. */
  | 'quoted-identifier'
  /** `'…'`, `E'…'` (the `E` is part of the token). */
  | 'string'
  /** `$$…$$` or `$tag$…$tag$`: a function or DO body, or a string written without escapes. */
  | 'dollar-string'
  | 'number'
  /** `$1`, `$2`: a bind parameter. */
  | 'parameter'
  /** `( ) [ ] , ; . : ::` */
  | 'punctuation'
  /** `+ - * / < > = ~ ! @ # % ^ & | ? \`` and runs of them. */
  | 'operator';

export interface SqlToken {
  kind: SqlTokenKind;
  /** Offset of the first character in the scanned text. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** The source text of the token. */
  text: string;
  /**
   * What the token stands for: the content of a string or quoted identifier with its quote
   * escapes undone, the body of a dollar string; the text for everything else.
   */
  value: string;
  /** For strings, quoted identifiers and dollar strings: where the content starts and ends. */
  bodyStart?: number;
  bodyEnd?: number;
}

export interface SqlScan {
  tokens: SqlToken[];
  /** A comment, string or body that runs to the end of the text: the rest was not tokenized. */
  unterminated?: { kind: 'comment' | 'string' | 'quoted-identifier' | 'dollar-string'; start: number };
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const OPERATOR_CHAR = /[+\-*/<>=~!@#%^&|`?\\]/;
const NUMBER = /0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.(?:\d[\d_]*)?)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const PARAMETER = /\$\d+/y;

/**
 * Splits SQL text into tokens, dropping whitespace and comments. `from`/`to` scan a slice of
 * `text` in place (offsets stay those of `text`), e.g. the body of a dollar-quoted string.
 */
export function tokenizeSql(text: string, range: { from?: number; to?: number } = {}): SqlScan {
  const end = range.to ?? text.length;
  const tokens: SqlToken[] = [];
  const push = (kind: SqlTokenKind, start: number, stop: number, value?: string, body?: [number, number]) => {
    const tokenText = text.slice(start, stop);
    tokens.push({ kind, start, end: stop, text: tokenText, value: value ?? tokenText, ...(body ? { bodyStart: body[0], bodyEnd: body[1] } : {}) });
  };
  const unterminated = (kind: NonNullable<SqlScan['unterminated']>['kind'], start: number): SqlScan => ({ tokens, unterminated: { kind, start } });

  let at = range.from ?? 0;
  while (at < end) {
    const char = text[at]!;
    const next = text[at + 1];
    if (/\s/.test(char)) {
      at++;
    } else if (char === '-' && next === '-') {
      const newline = text.indexOf('\n', at);
      at = newline === -1 || newline > end ? end : newline + 1;
    } else if (char === '/' && next === '*') {
      const close = blockCommentEnd(text, at, end);
      if (close === undefined) return unterminated('comment', at);
      at = close;
    } else if (char === "'" || ((char === 'E' || char === 'e') && next === "'")) {
      const escapes = char !== "'";
      const open = escapes ? at + 1 : at;
      const close = quotedEnd(text, open, end, "'", escapes);
      if (close === undefined) return unterminated('string', at);
      push('string', at, close, unquote(text.slice(open + 1, close - 1), "'", escapes), [open + 1, close - 1]);
      at = close;
    } else if (char === '"') {
      const close = quotedEnd(text, at, end, '"', false);
      if (close === undefined) return unterminated('quoted-identifier', at);
      push('quoted-identifier', at, close, unquote(text.slice(at + 1, close - 1), '"', false), [at + 1, close - 1]);
      at = close;
    } else if (char === '$') {
      const tag = matchAt(DOLLAR_TAG, text, at, end);
      const parameter = tag ? undefined : matchAt(PARAMETER, text, at, end);
      if (tag) {
        const bodyStart = at + tag.length;
        const bodyEnd = text.indexOf(tag, bodyStart);
        if (bodyEnd === -1 || bodyEnd + tag.length > end) return unterminated('dollar-string', at);
        push('dollar-string', at, bodyEnd + tag.length, text.slice(bodyStart, bodyEnd), [bodyStart, bodyEnd]);
        at = bodyEnd + tag.length;
      } else if (parameter) {
        push('parameter', at, at + parameter.length);
        at += parameter.length;
      } else {
        push('operator', at, at + 1);
        at++;
      }
    } else if (WORD_START.test(char)) {
      let stop = at + 1;
      while (stop < end && WORD_PART.test(text[stop]!)) stop++;
      push('word', at, stop);
      at = stop;
    } else if (/\d/.test(char) || (char === '.' && next !== undefined && /\d/.test(next))) {
      const number = matchAt(NUMBER, text, at, end)!;
      push('number', at, at + number.length);
      at += number.length;
    } else if (char === ':' && next === ':') {
      push('punctuation', at, at + 2);
      at += 2;
    } else if ('()[],;.:'.includes(char)) {
      push('punctuation', at, at + 1);
      at++;
    } else {
      let stop = at + 1;
      if (OPERATOR_CHAR.test(char)) {
        while (stop < end && OPERATOR_CHAR.test(text[stop]!) && !startsComment(text, stop)) stop++;
      }
      push('operator', at, stop);
      at = stop;
    }
  }
  return { tokens };
}

/** Statements: the tokens between top-level `;` (strings and bodies are single tokens already). */
export function splitStatements(tokens: readonly SqlToken[]): SqlToken[][] {
  const statements: SqlToken[][] = [];
  let current: SqlToken[] = [];
  for (const token of tokens) {
    if (token.kind === 'punctuation' && token.text === ';') {
      if (current.length > 0) statements.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** The lower-cased text of a word token (keywords are case-insensitive), else undefined. */
export function keyword(token: SqlToken | undefined): string | undefined {
  return token?.kind === 'word' ? token.text.toLowerCase() : undefined;
}

/** Whether the tokens from `index` on are the given keywords, e.g. `keywordsAt(tokens, i, 'if', 'not', 'exists')`. */
export function keywordsAt(tokens: readonly SqlToken[], index: number, ...words: string[]): boolean {
  return words.every((word, offset) => keyword(tokens[index + offset]) === word);
}

/**
 * The arguments of the call whose `(` is at `open`: each a token list, split at commas that
 * are not nested in brackets; `close` is the index of the matching `)`. Undefined when the
 * parentheses never close.
 */
export function callArguments(tokens: readonly SqlToken[], open: number): { args: SqlToken[][]; close: number } | undefined {
  const args: SqlToken[][] = [];
  let current: SqlToken[] = [];
  let depth = 0;
  for (let index = open + 1; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === 'punctuation' && (token.text === '(' || token.text === '[')) depth++;
    if (token.kind === 'punctuation' && (token.text === ')' || token.text === ']')) {
      if (depth === 0) {
        if (current.length > 0 || args.length > 0) args.push(current);
        return { args, close: index };
      }
      depth--;
    }
    if (depth === 0 && token.kind === 'punctuation' && token.text === ',') {
      args.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  return undefined;
}

/**
 * The integer a numeric literal token stands for (`_` separators, hex, octal and binary forms,
 * and exponents that land on an integer), or undefined for a fraction.
 */
export function integerValue(literal: string): bigint | undefined {
  const digits = literal.replace(/_/g, '');
  if (/^(?:0[xob][0-9a-f]+|\d+)$/i.test(digits)) return BigInt(digits);
  const value = Number(digits);
  return Number.isInteger(value) ? BigInt(value) : undefined;
}

/** Turns offsets into 1-based line and column (UTF-16 units, the way editors and TypeScript count). */
export function lineColumnOf(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\n' || (char === '\r' && text[index + 1] !== '\n')) starts.push(index + 1);
  }
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  };
}

function matchAt(pattern: RegExp, text: string, at: number, end: number): string | undefined {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match && at + match[0].length <= end ? match[0] : undefined;
}

function startsComment(text: string, at: number): boolean {
  const pair = text.slice(at, at + 2);
  return pair === '--' || pair === '/*';
}

/** PostgreSQL block comments nest: `/* a /* b *\/ c *\/` is one comment. */
function blockCommentEnd(text: string, start: number, end: number): number | undefined {
  let depth = 0;
  for (let at = start; at < end - 1; at++) {
    if (text[at] === '/' && text[at + 1] === '*') {
      depth++;
      at++;
    } else if (text[at] === '*' && text[at + 1] === '/') {
      depth--;
      at++;
      if (depth === 0) return at + 1;
    }
  }
  return undefined;
}

/** The offset after the closing quote of a quoted run opened at `open`; doubled quotes are escapes. */
function quotedEnd(text: string, open: number, end: number, quote: string, backslashEscapes: boolean): number | undefined {
  for (let at = open + 1; at < end; at++) {
    const char = text[at];
    if (backslashEscapes && char === '\\') {
      at++;
    } else if (char === quote) {
      if (text[at + 1] === quote && at + 1 < end) at++;
      else return at + 1;
    }
  }
  return undefined;
}

/** Undoes doubled quotes, and in `E'…'` strings `\'` and `\\`; other backslash escapes stay as written. */
function unquote(content: string, quote: string, backslashEscapes: boolean): string {
  const pattern = backslashEscapes ? /''|\\['\\]/g : new RegExp(quote + quote, 'g');
  return content.replace(pattern, (escape) => escape.slice(1));
}
