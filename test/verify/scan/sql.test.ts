import { describe, expect, it } from 'vitest';
import { callArguments, integerValue, keyword, keywordsAt, lineColumnOf, splitStatements, tokenizeSql } from '../../../cli/verify/scan/sql.js';

const kinds = (text: string) => tokenizeSql(text).tokens.map(({ kind, text: tokenText }) => `${kind}:${tokenText}`);
const words = (text: string) => tokenizeSql(text).tokens.filter((token) => token.kind === 'word').map((token) => token.text);

describe('tokenizeSql', () => {
  it.each([
    ['plain statement', 'CREATE TABLE t (id int);', ['word:CREATE', 'word:TABLE', 'word:t', 'punctuation:(', 'word:id', 'word:int', 'punctuation:)', 'punctuation:;']],
    ['line comment', 'SELECT 1 -- CREATE TABLE x\n;', ['word:SELECT', 'number:1', 'punctuation:;']],
    ['block comment', 'SELECT /* CREATE TABLE x */ 1', ['word:SELECT', 'number:1']],
    ['nested block comment', 'SELECT /* a /* CREATE TABLE x */ still comment */ 1', ['word:SELECT', 'number:1']],
    ['string with doubled quote', "SELECT 'it''s CREATE TABLE x'", ['word:SELECT', "string:'it''s CREATE TABLE x'"]],
    ['E string with backslash quote', "SELECT E'a\\' CREATE TABLE x', 2", ['word:SELECT', "string:E'a\\' CREATE TABLE x'", 'punctuation:,', 'number:2']],
    ['backslash in a standard string ends nothing', "SELECT 'a\\', 2", ['word:SELECT', "string:'a\\'", 'punctuation:,', 'number:2']],
    ['quoted identifier', 'SELECT "CREATE TABLE ""x"""', ['word:SELECT', 'quoted-identifier:"CREATE TABLE ""x"""']],
    ['dollar body', 'DO $$ BEGIN CREATE TABLE x(); END $$;', ['word:DO', 'dollar-string:$$ BEGIN CREATE TABLE x(); END $$', 'punctuation:;']],
    ['tagged dollar body holding $$', 'AS $fn$ SELECT $$x$$ $fn$ LANGUAGE sql', ['word:AS', 'dollar-string:$fn$ SELECT $$x$$ $fn$', 'word:LANGUAGE', 'word:sql']],
    ['parameters and casts', 'SELECT $1::bigint', ['word:SELECT', 'parameter:$1', 'punctuation:::', 'word:bigint']],
    ['dollar inside an identifier', 'SELECT a$b$ FROM t', ['word:SELECT', 'word:a$b$', 'word:FROM', 'word:t']],
    ['signed number', 'SELECT -2147483648', ['word:SELECT', 'operator:-', 'number:2147483648']],
    ['operator stops at a comment', 'SELECT 1+-- note\n2', ['word:SELECT', 'number:1', 'operator:+', 'number:2']],
    ['numbers', 'SELECT 1_000, 0x1F, 1.5e3, .5', ['word:SELECT', 'number:1_000', 'punctuation:,', 'number:0x1F', 'punctuation:,', 'number:1.5e3', 'punctuation:,', 'number:.5']],
  ])('%s', (_name, text, expected) => {
    expect(kinds(text)).toEqual(expected);
  });

  it('keeps offsets of the text and undoes quote escapes in values', () => {
    const [select, string] = tokenizeSql("SELECT 'it''s'").tokens;
    expect(select).toMatchObject({ start: 0, end: 6 });
    expect(string).toMatchObject({ start: 7, end: 14, value: "it's", bodyStart: 8, bodyEnd: 13 });
    expect(tokenizeSql("E'a\\'b\\\\c\\n'").tokens[0]!.value).toBe("a'b\\c\\n");
    expect(tokenizeSql('"Mixed ""Case"""').tokens[0]!.value).toBe('Mixed "Case"');
  });

  it('scans a dollar body in place, with offsets of the whole text', () => {
    const text = "DO $body$ BEGIN PERFORM pg_advisory_lock(5); END $body$;";
    const body = tokenizeSql(text).tokens[1]!;
    expect(body.value).toBe(' BEGIN PERFORM pg_advisory_lock(5); END ');
    const inner = tokenizeSql(text, { from: body.bodyStart, to: body.bodyEnd }).tokens;
    const five = inner.find((token) => token.kind === 'number')!;
    expect(text.slice(five.start, five.end)).toBe('5');
    expect(inner.map((token) => token.text)).toContain('pg_advisory_lock');
  });

  it.each([
    ['comment', 'SELECT 1 /* open /* nested */'],
    ['string', "SELECT 'open"],
    ['quoted-identifier', 'SELECT "open'],
    ['dollar-string', 'DO $x$ BEGIN END $y$'],
  ])('reports an unterminated %s where it starts', (kind, text) => {
    const scan = tokenizeSql(text);
    expect(scan.unterminated).toEqual({ kind, start: text.search(/\/\*|'|"|\$x/) });
  });

  it('treats keywords case-insensitively across any whitespace', () => {
    const { tokens } = tokenizeSql('create\n\tTable  If\r\nNOT exists t');
    expect(keyword(tokens[0])).toBe('create');
    expect(keywordsAt(tokens, 2, 'if', 'not', 'exists')).toBe(true);
    expect(keywordsAt(tokens, 1, 'if')).toBe(false);
    expect(words('-- only a comment')).toEqual([]);
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    const text = "CREATE FUNCTION f() AS $$ SELECT 1; SELECT 2; $$ LANGUAGE sql; SELECT ';'; ; SELECT 3";
    const statements = splitStatements(tokenizeSql(text).tokens);
    expect(statements.map((statement) => statement[0]!.text)).toEqual(['CREATE', 'SELECT', 'SELECT']);
  });
});

describe('callArguments', () => {
  it.each([
    ['f(1)', [['1']]],
    ['f(1, -2)', [['1'], ['-', '2']]],
    ['f((1), g(2, 3))', [['(', '1', ')'], ['g', '(', '2', ',', '3', ')']]],
    ['f()', []],
  ])('%s', (text, expected) => {
    const { tokens } = tokenizeSql(text);
    const call = callArguments(tokens, 1)!;
    expect(call.args.map((arg) => arg.map((token) => token.text))).toEqual(expected);
    expect(tokens[call.close]!.text).toBe(')');
  });

  it('is undefined when the parenthesis never closes', () => {
    expect(callArguments(tokenizeSql('f(1, 2').tokens, 1)).toBeUndefined();
  });
});

describe('integerValue', () => {
  it.each([
    ['2147483648', 2147483648n],
    ['5_000_000_000', 5000000000n],
    ['0x80000000', 2147483648n],
    ['0o17', 15n],
    ['0b101', 5n],
    ['5e9', 5000000000n],
    ['99999999999999999999', 99999999999999999999n],
    ['1.5', undefined],
  ])('%s', (literal, expected) => {
    expect(integerValue(literal)).toBe(expected);
  });
});

describe('lineColumnOf', () => {
  it('counts 1-based lines and columns over \\n, \\r\\n and \\r', () => {
    const at = lineColumnOf('ab\ncd\r\nef\rgh');
    expect([0, 1, 3, 4, 7, 10].map(at)).toEqual([
      { line: 1, column: 1 },
      { line: 1, column: 2 },
      { line: 2, column: 1 },
      { line: 2, column: 2 },
      { line: 3, column: 1 },
      { line: 4, column: 1 },
    ]);
  });
});
