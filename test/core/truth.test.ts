import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrtError } from '../../cli/core/errors.js';
import { loadTruth, parseTruth } from '../../cli/core/truth.js';
import { REPO } from '../cli/run.js';

/** The reference instance, kept beside the clone (CI checks shared/ out next to it). */
const SHARED_EXAMPLE = join(REPO, '..', 'shared', 'truth.example.yaml');

/** The 1-based line of the first line of `text` that matches. */
function lineMatching(text: string, pattern: RegExp): number {
  const index = text.split('\n').findIndex((line) => pattern.test(line));
  if (index < 0) throw new Error(`no line matches ${pattern}`);
  return index + 1;
}

/** The TrtError parseTruth throws for `text`. */
function problemsOf(text: string): TrtError {
  try {
    parseTruth(text, 't.yaml');
  } catch (error) {
    if (error instanceof TrtError) return error;
    throw error;
  }
  throw new Error('parseTruth accepted the text');
}

describe('the shared reference instance', () => {
  const text = readFileSync(SHARED_EXAMPLE, 'utf8');

  it('is accepted by the schema', () => {
    const loaded = loadTruth(SHARED_EXAMPLE);
    expect(loaded.truth.version).toBe(1);
    expect(loaded.truth.entrypoint?.blessed).toBe('bot/main.ts');
    expect(loaded.truth.database?.lock_key).toBe(74110001);
    expect(loaded.truth.routes).toHaveLength(7);
  });

  it.each([
    [['version'], /^version:/],
    [['database', 'lock_key'], /^\s+lock_key:/],
    [['routes', 1], /path: \/webhook,/],
    [['routes', 1, 'path'], /path: \/webhook,/],
    [['env', 'optional', 'PORT'], /^\s+PORT:/],
    [['env', 'forbidden', 2], /^\s+forbidden: \[USE_POLLING/],
    [['verify', 'rules', 'undeclared-env'], /^\s+undeclared-env:/],
    [['observability', 'forbidden_log_patterns', 2, 'action'], /Check heartbeat writes/],
    [['invariants', 3, 'proved_by', 0], /proved_by: \[smoke:S4\]/],
    [['smoke', 'scenarios', 'S5', 'model'], /^\s+S5:/],
    [['release', 'definition_of_done', 'consecutive_clean_releases'], /consecutive_clean_releases:/],
  ])('lineOf(%j) is the line of that node', (path, pattern) => {
    expect(parseTruth(text, SHARED_EXAMPLE).lineOf(path)).toBe(lineMatching(text, pattern));
  });

  it('lineOf a path that is not in the file is 1', () => {
    const loaded = parseTruth(text, SHARED_EXAMPLE);
    expect(loaded.lineOf(['database', 'no_such_key'])).toBe(1);
    expect(loaded.lineOf(['routes', 99])).toBe(1);
    expect(loaded.lineOf(['version', 'deeper'])).toBe(1);
  });

  it('is the file the shared example says it is', () => {
    expect(existsSync(SHARED_EXAMPLE)).toBe(true);
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=/);
  });
});

describe('schema problems name their YAML line and JSON path, in line order', () => {
  it.each([
    [
      'unknown keys, a wrong type and a bad enum value',
      'version: 1\nproduct:\n  name: broken\n  owner: someone\ndatabase:\n  lock_key: "74110001"\nroutes:\n  - { method: GET, path: /health }\n  - { method: FETCH, path: /webhook }\ncolour: blue\n',
      [
        't.yaml:4: product.owner is not a known key',
        't.yaml:6: database.lock_key must be integer',
        't.yaml:9: routes[1].method must be one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"',
        't.yaml:10: colour is not a known key',
      ],
    ],
    ['a missing required key (on the line of its parent)', 'version: 1\nproduct:\n  version: "1"\n', ['t.yaml:2: product is missing the required key "name"']],
    ['no version at all', 'product:\n  name: x\n', ['t.yaml:1: (top level) is missing the required key "version"']],
    ['the wrong version', 'version: 2\n', ['t.yaml:1: version must be 1']],
    ['an empty file', '', ['t.yaml:1: (top level) is empty']],
    ['a list instead of a mapping', '- 1\n- 2\n', ['t.yaml:1: (top level) must be object']],
    [
      'rule settings: a bad severity, and options that are not an object',
      'version: 1\nverify:\n  rules:\n    single-entrypoint: loud\n    forbidden-env: { severity: error, options: 5 }\n    sql-migrations: { severity: warn, level: 3 }\n    no-such-rule: error\n',
      [
        't.yaml:4: verify.rules.single-entrypoint must be a severity ("error", "warn", "off") or { severity, options }',
        't.yaml:5: verify.rules.forbidden-env.options must be object',
        't.yaml:6: verify.rules.sql-migrations.level is not a known key',
        't.yaml:7: verify.rules.no-such-rule is not a known key',
      ],
    ],
    [
      'names a section does not allow (on the line of the name)',
      'version: 1\nmodes:\n  ACTIVE:\n    may: []\n  passive:\n    may: []\nenv:\n  required: [GOOD, bad-name]\n  optional:\n    9LIVES: "x"\n',
      [
        't.yaml:5: modes.passive is not an allowed name here (names must match "^[A-Z][A-Z_]*$")',
        't.yaml:8: env.required[1] must match pattern "^[A-Za-z_][A-Za-z0-9_]*$"',
        't.yaml:10: env.optional.9LIVES is not an allowed name here (names must match "^[A-Za-z_][A-Za-z0-9_]*$")',
      ],
    ],
    [
      'values inside lists and flow mappings',
      'version: 1\nentrypoint:\n  blessed: /abs/main.ts\ninvariants:\n  - id: x\n    statement: y\n    proved_by: [verify:a, prayer]\nsmoke:\n  scenarios:\n    S9: { sla_ms: 1 }\n    S1: { sla_ms: 0 }\n',
      [
        't.yaml:3: entrypoint.blessed must match pattern',
        't.yaml:7: invariants[0].proved_by[1] must match pattern',
        't.yaml:10: smoke.scenarios.S9 is not an allowed name here',
        't.yaml:11: smoke.scenarios.S1.sla_ms must be >= 1',
      ],
    ],
  ])('%s', (_situation, text, expected) => {
    const error = problemsOf(text);
    expect(error.code).toBe('TRUTH_SCHEMA');
    expect(error.message).toBe(`t.yaml does not match schemas/truth.schema.json (${expected.length} problem${expected.length === 1 ? '' : 's'})`);
    expect(error.details).toHaveLength(expected.length);
    error.details.forEach((detail, index) => expect(detail.startsWith(expected[index]!), `${detail} starts with ${expected[index]}`).toBe(true));
  });
});

describe('YAML that does not parse', () => {
  it.each([
    ['a duplicate key', 'version: 1\nproduct:\n  name: a\nversion: 1\n', ['t.yaml:4: Map keys must be unique']],
    ['a tab as indentation', 'version: 1\nproduct:\n\tname: x\n', ['t.yaml:3: Tabs are not allowed as indentation']],
    ['an unclosed flow sequence', 'version: 1\nrequired_files: [a.md,\nproduct:\n  name: x\n', ['t.yaml:']],
    ['two documents', 'version: 1\n---\nversion: 1\n', ['t.yaml:2: Source contains multiple documents']],
  ])('%s is a TRUTH_INVALID_YAML error naming the line', (_situation, text, expected) => {
    const error = problemsOf(text);
    expect(error.code).toBe('TRUTH_INVALID_YAML');
    expect(error.details).toHaveLength(expected.length);
    error.details.forEach((detail, index) => expect(detail.startsWith(expected[index]!), detail).toBe(true));
  });

  it('too many alias expansions is a YAML error, not a crash', () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (let level = 0, previous = 'a'; level < 8; previous = `b${level}`, level++) {
      text += `b${level}: &b${level} [${Array.from({ length: 10 }, () => `*${previous}`).join(', ')}]\n`;
    }
    expect(problemsOf(`${text}version: 1\n`).code).toBe('TRUTH_INVALID_YAML');
  });
});

describe('loadTruth', () => {
  it('names a missing file and says how to create one', () => {
    let error: unknown;
    try {
      loadTruth(join(REPO, 'no-such-folder', 'truth.yaml'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TrtError);
    expect((error as TrtError).code).toBe('TRUTH_NOT_FOUND');
    expect((error as TrtError).hint).toContain('trt init');
  });

  it("accepts the repository's own product/truth.yaml", () => {
    expect(() => loadTruth(join(REPO, 'product', 'truth.yaml'))).not.toThrow();
  });
});
