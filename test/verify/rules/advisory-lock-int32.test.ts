import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import { advisoryKeys, fitsInt32, suggestedKey } from '../../../cli/verify/rules/advisory-lock-int32.js';
import { truthValueColumn } from '../../../cli/verify/truth-column.js';
import { ruleFindings, writeRepo } from '../harness.js';

const RULE = 'advisory-lock-int32';
const at = (file: string, line: number, column: number) => ({ file, line, column });

describe(RULE, () => {
  it.each([
    ['good/in-range', []],
    ['bad/truth-lock-key', [at('product/truth.yaml', 4, 13)]],
    [
      'bad/sql-in-code',
      [
        at('src/locks.ts', 6, 18),
        at('src/locks.ts', 10, 47),
        at('src/locks.ts', 11, 55),
        at('src/locks.ts', 12, 58),
        at('src/locks.ts', 14, 77),
        at('src/locks.ts', 15, 76),
        at('src/locks.ts', 16, 39),
        at('src/locks.ts', 17, 59),
        at('src/locks.ts', 18, 68),
      ],
    ],
    [
      'bad/sql-files',
      [
        at('db/migrations/001_locks.sql', 4, 31),
        at('scripts/unlock.sql', 1, 27),
        at('scripts/unlock.sql', 2, 30),
        at('scripts/unlock.sql', 3, 47),
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it.each([
    ['the int32 maximum', '2147483647', []],
    ['the int32 minimum', '-2147483648', []],
    ['one past the maximum', '2147483648', [at('product/truth.yaml', 3, 13)]],
    ['one below the minimum', '-2147483649', [at('product/truth.yaml', 3, 13)]],
  ])('database.lock_key: %s', async (_name, value, expected) => {
    const root = writeRepo({ 'product/truth.yaml': `version: 1\ndatabase:\n  lock_key: ${value}\n` });
    const result = await verify({ root, cache: false, workers: 0, rules: [RULE] });
    expect(result.findings.map(({ file, line, column }) => ({ file, line, column }))).toEqual(expected);
  });

  it('follows shorthand query objects, wrapped literals and scoped consts in JavaScript', async () => {
    const root = writeRepo({
      'product/truth.yaml': 'version: 1\n',
      'app/lock.js': [
        'export async function lock(pool) {',
        "  const text = 'SELECT pg_try_advisory_lock($1)';",
        '  const values = [(5000000000)];',
        '  await pool.query({ text, values });',
        "  await pool.query('SELECT pg_advisory_lock($1)', [-(2147483649), -(2147483648)]);",
        '}',
        '',
      ].join('\n'),
    });
    const result = await verify({ root, cache: false, workers: 0, rules: [RULE] });
    expect(result.findings.map(({ file, line, column }) => ({ file, line, column }))).toEqual([at('app/lock.js', 3, 20), at('app/lock.js', 5, 52)]);
  });
});

describe('advisoryKeys', () => {
  /** The literal written at a key's offset, e.g. `-2` or `'8'`. */
  const literalAt = (sql: string, offset: number) => /^[-+]?'?\w*'?/.exec(sql.slice(offset))![0];
  const keys = (sql: string) => advisoryKeys(sql).map(({ value, offset, fn, arity }) => ({ value, at: literalAt(sql, offset), fn, arity }));

  it.each([
    ['one-key form', 'SELECT pg_advisory_lock(5)', [{ value: 5n, at: '5', fn: 'pg_advisory_lock', arity: 1 }]],
    ['two-key form', 'SELECT pg_advisory_lock(1, -2)', [{ value: 1n, at: '1', fn: 'pg_advisory_lock', arity: 2 }, { value: -2n, at: '-2', fn: 'pg_advisory_lock', arity: 2 }]],
    ['schema-qualified, any case', 'select PG_CATALOG.Pg_Try_Advisory_Xact_Lock_Shared(7)', [{ value: 7n, at: '7', fn: 'Pg_Try_Advisory_Xact_Lock_Shared', arity: 1 }]],
    ['casts and parentheses', "SELECT pg_advisory_lock(((9)::int8)), pg_advisory_lock(CAST('8' AS bigint)), pg_advisory_lock(bigint '6')", [
      { value: 9n, at: '9', fn: 'pg_advisory_lock', arity: 1 },
      { value: 8n, at: "'8'", fn: 'pg_advisory_lock', arity: 1 },
      { value: 6n, at: "'6'", fn: 'pg_advisory_lock', arity: 1 },
    ]],
    ['inside a function body', 'CREATE FUNCTION f() AS $f$ SELECT pg_advisory_lock(3) $f$', [{ value: 3n, at: '3', fn: 'pg_advisory_lock', arity: 1 }]],
    ['not literals', 'SELECT pg_advisory_lock(hashtext(\'x\')), pg_advisory_lock(k + 1), pg_advisory_lock($1), pg_advisory_unlock_all()', []],
    ['a comment and a string', "SELECT 1 /* pg_advisory_lock(5) */, 'pg_advisory_lock(6)' -- pg_advisory_lock(7)", []],
    ['a name that is not a call', 'SELECT pg_advisory_lock FROM t WHERE n = 5', []],
  ])('%s', (_name, sql, expected) => {
    expect(keys(sql)).toEqual(expected);
  });

  it('resolves parameters and maps offsets through the caller', () => {
    const found = advisoryKeys('SELECT pg_advisory_lock($2)', {
      mapOffset: (offset) => offset + 1000,
      resolve: (token) => (token.text === '$2' ? { value: 99n, offset: 7 } : undefined),
    });
    expect(found).toEqual([{ value: 99n, offset: 7, fn: 'pg_advisory_lock', arity: 1 }]);
    expect(advisoryKeys('SELECT pg_advisory_lock(4)', { mapOffset: (offset) => offset + 1000 })[0]!.offset).toBe(1024);
  });
});

describe('int32 helpers', () => {
  it.each([
    [2147483647n, true],
    [-2147483648n, true],
    [2147483648n, false],
    [-2147483649n, false],
  ])('fitsInt32(%s) is %s', (value, fits) => {
    expect(fitsInt32(value)).toBe(fits);
  });

  it.each([
    [74110001000n, 1095556968n],
    [-3000000000n, 1294967296n],
    [2n ** 32n, 0n],
  ])('suggestedKey(%s) is %s', (value, expected) => {
    expect(suggestedKey(value)).toBe(expected);
    expect(fitsInt32(suggestedKey(value))).toBe(true);
  });
});

describe('truthValueColumn', () => {
  it.each([
    ['  lock_key: 5000000000   # int32', 13],
    ['database: { migrations: db/m, lock_key: 5000000000 }', 41],
    ['  "lock_key": 5', 15],
    ['  lock_key:', 3],
    ['  other_lock_key: 5', 1],
  ])('%s', (line, column) => {
    expect(truthValueColumn(line, 'lock_key')).toBe(column);
  });
});
