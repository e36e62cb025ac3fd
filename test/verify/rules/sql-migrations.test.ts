import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import { idempotencyProblems, numberingProblems } from '../../../cli/verify/rules/sql-migrations.js';
import { lineColumnOf } from '../../../cli/verify/scan/sql.js';
import { ruleFindings, writeRepo } from '../harness.js';

const RULE = 'sql-migrations';
const at = (file: string, line: number, column = 1) => ({ file, line, column });
const m = (name: string) => `sql/migrations/${name}`;

describe(RULE, () => {
  it.each([
    ['good/idempotent', []],
    ['good/no-migrations-configured', []],
    ['good/timestamps', []],
    ['bad/duplicate-numbers', [at(m('003_payments.sql'), 1), at(m('3_credits.sql'), 1)]],
    ['bad/missing-numbers', [at(m('004_orders.sql'), 1), at(m('008_ledger.sql'), 1)]],
    ['bad/starts-late', [at(m('002_users.sql'), 1)]],
    ['bad/unnumbered-files', [at(m('init.sql'), 1), at(m('seed-data.sql'), 1)]],
    ['bad/unordered-widths', [at(m('10_orders.sql'), 1)]],
    ['bad/missing-folder', [at('product/truth.yaml', 6, 15)]],
    [
      'bad/non-idempotent-ddl',
      [
        ...[2, 7, 8].map((line) => at(m('001_schema.sql'), line)),
        at(m('001_schema.sql'), 9, 3),
        ...[10, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25].map((line) => at(m('001_schema.sql'), line)),
        at(m('001_schema.sql'), 26, 32),
        at(m('002_alter.sql'), 1, 23),
        at(m('002_alter.sql'), 2, 23),
        at(m('002_alter.sql'), 3, 45),
        at(m('002_alter.sql'), 4, 23),
        at(m('002_alter.sql'), 5, 20),
        at(m('002_alter.sql'), 6, 54),
        at(m('002_alter.sql'), 7),
        at(m('002_alter.sql'), 8),
        at(m('002_alter.sql'), 10),
        at(m('003_broken.sql'), 2, 4),
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it('reports a configured folder that holds no .sql file at the truth line', async () => {
    const root = writeRepo({
      'product/truth.yaml': 'version: 1\ndatabase:\n  migrations: db/migrations\n',
      'db/migrations/README.md': '# nothing yet\n',
    });
    const result = await verify({ root, cache: false, workers: 0, rules: [RULE] });
    expect(result.findings.map(({ file, line, column }) => ({ file, line, column }))).toEqual([at('product/truth.yaml', 3, 15)]);
  });
});

describe('numberingProblems', () => {
  const contiguous = { numbering: 'contiguous' as const, first: [0, 1] };
  const files = (problems: ReturnType<typeof numberingProblems>) => problems.map((problem) => problem.file);

  it.each([
    ['a clean run from 1', ['m/001_a.sql', 'm/002_b.sql'], contiguous, []],
    ['a clean run from 0', ['m/000_a.sql', 'm/001_b.sql'], contiguous, []],
    ['same number, different widths', ['m/003_y.sql', 'm/1_a.sql', 'm/2_b.sql', 'm/3_x.sql'], contiguous, ['m/3_x.sql', 'm/003_y.sql']],
    ['three files on one number', ['m/001_a.sql', 'm/001_b.sql', 'm/001_c.sql'], contiguous, ['m/001_b.sql', 'm/001_c.sql']],
    ['a gap after the first', ['m/1_a.sql', 'm/3_c.sql'], contiguous, ['m/3_c.sql']],
    ['a configured start', ['m/041_baseline.sql', 'm/042_b.sql'], { numbering: 'contiguous' as const, first: [41] }, []],
    ['a start below the configured one', ['m/000_a.sql'], { numbering: 'contiguous' as const, first: [1] }, ['m/000_a.sql']],
    ['gaps allowed for unique numbering', ['m/20240101_a.sql', 'm/20240301_b.sql'], { numbering: 'unique' as const, first: [1] }, []],
    ['widths that sort wrongly', ['m/10_c.sql', 'm/1_a.sql', 'm/2_b.sql', 'm/3_x.sql', 'm/4_x.sql', 'm/5_x.sql', 'm/6_x.sql', 'm/7_x.sql', 'm/8_x.sql', 'm/9_x.sql'], contiguous, ['m/10_c.sql']],
  ])('%s', (_name, names, options, expected) => {
    expect(files(numberingProblems(names, options))).toEqual(expected);
  });

  it('names the other file of a duplicate and suggests distinct free numbers', () => {
    const problems = numberingProblems(['m/001_a.sql', 'm/002_b.sql', 'm/002_c.sql', 'm/notes.sql'], contiguous);
    expect(problems.map((problem) => [problem.file, problem.fix])).toEqual([
      ['m/notes.sql', expect.stringContaining('003_notes.sql')],
      ['m/002_c.sql', expect.stringContaining('(004)')],
    ]);
    expect(problems[1]!.message).toContain('002_b.sql');
  });
});

describe('idempotencyProblems', () => {
  const where = (text: string) => {
    const position = lineColumnOf(text);
    return idempotencyProblems(text).map((problem) => position(problem.offset!));
  };

  it.each([
    ['guarded table', 'CREATE TABLE IF NOT EXISTS t (id int);', []],
    ['unguarded table after a comment', '/* x */ CREATE TABLE t (id int);', [{ line: 1, column: 9 }]],
    ['keywords over lines and cases', 'create\n  table\n\tIF  not\nEXISTS t ();', []],
    ['guard split by a comment', 'CREATE TABLE IF /* why */ NOT EXISTS t ();', []],
    ['create in a DO block', "DO $$ BEGIN CREATE TYPE s AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;", []],
    ['create in a DO string', "DO 'BEGIN CREATE TABLE t (); END';", []],
    ['create in an E string', "SELECT E'\\'; CREATE TABLE t ();';", []],
    ['create in a quoted identifier', 'SELECT 1 AS "; CREATE TABLE t ("', []],
    ['unguarded unique concurrent index', 'CREATE UNIQUE INDEX CONCURRENTLY i ON t (a);', [{ line: 1, column: 1 }]],
    ['guarded unique concurrent index', 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', []],
    ['drop then create view', 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 1;', []],
    ['drop of another name then create', 'DROP VIEW IF EXISTS w; CREATE VIEW v AS SELECT 1;', [{ line: 1, column: 24 }]],
    ['drop then create type is still unsafe', 'DROP TYPE IF EXISTS s; CREATE TYPE s AS ENUM (\'a\');', [{ line: 1, column: 24 }]],
    ['quoted names match exactly', 'DROP TABLE IF EXISTS "T"; CREATE TABLE t ();', [{ line: 1, column: 27 }]],
    ['unterminated block comment', 'CREATE TABLE IF NOT EXISTS t ();\n/* open', [{ line: 2, column: 1 }]],
    ['drop owned has no guard to add', 'DROP OWNED BY app_user;', []],
  ])('%s', (_name, text, expected) => {
    expect(where(text)).toEqual(expected);
  });
});
