/**
 * `trt verify` and `trt truth check` end to end: the built binary on small fixture repositories,
 * asserting what users and CI depend on (exit codes, output formats, error messages, baselines).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRepo } from '../verify/harness.js';
import { copyFixture, FIXTURES, removeCopies, runTrt } from './run.js';
import { sarifValidator, verifyReportValidator } from './schemas.js';

afterAll(removeCopies);

const fixture = (name: string) => join(FIXTURES, 'cli', name);
const ANSI = /\u001b\[/;
const WILDCARDS = ['--rule', 'no-wildcard-imports'];

interface Report {
  root: string;
  findings: { rule: string; severity: string; file: string; line: number; column: number; message: string; fix?: string }[];
  summary: { files: number; errors: number; warnings: number; durationMs: number };
}

/** Runs verify with --format json and checks the one-document contract before returning the report. */
async function verifyJson(args: readonly string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const run = await runTrt(['verify', '--format', 'json', '--no-cache', ...args]);
  const report = JSON.parse(run.stdout) as Report;
  const validate = verifyReportValidator();
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  return { code: run.code, report, stderr: run.stderr };
}

describe('exit codes', () => {
  it('0 on a repository that passes every rule', async () => {
    const run = await runTrt(['verify', '--root', fixture('clean'), '--no-cache']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/✔ verify passed: 0 errors, 0 warnings in 2 files, \d+ rules/);
    expect(run.code).toBe(0);
  });

  it('1 when a rule reports an error', async () => {
    const { code, report } = await verifyJson(['--root', fixture('violations'), ...WILDCARDS]);
    expect(report.findings.map(({ rule, severity, file, line, column }) => ({ rule, severity, file, line, column }))).toEqual([
      { rule: 'no-wildcard-imports', severity: 'error', file: 'src/index.ts', line: 3, column: 1 },
      { rule: 'no-wildcard-imports', severity: 'error', file: 'src/index.ts', line: 6, column: 1 },
    ]);
    expect(report.summary).toMatchObject({ files: 2, errors: 2, warnings: 0 });
    expect(code).toBe(1);
  });

  it('0 when every finding is a warning', async () => {
    const { code, report } = await verifyJson(['--root', fixture('warnings')]);
    expect(report.findings.map(({ rule, severity, line }) => ({ rule, severity, line }))).toEqual([{ rule: 'no-wildcard-imports', severity: 'warn', line: 1 }]);
    expect(report.summary).toMatchObject({ errors: 0, warnings: 1 });
    expect(code).toBe(0);
  });

  it('1, not 0, with exactly 256 errors (an exit status is a byte)', async () => {
    const imports = Array.from({ length: 256 }, (_, index) => `import * as m${index} from 'node:path';`).join('\n');
    const root = writeRepo({
      'product/truth.yaml': 'version: 1\nproduct:\n  name: many\n',
      'src/many.ts': `${imports}\nexport const used = [${Array.from({ length: 256 }, (_, index) => `m${index}`).join(', ')}];\n`,
    });
    const { code, report } = await verifyJson(['--root', root, ...WILDCARDS]);
    expect(report.summary.errors).toBe(256);
    expect(code).toBe(1);
  });

  it('1 with exactly 256 errors in text format too', async () => {
    const imports = Array.from({ length: 256 }, (_, index) => `import * as m${index} from 'node:os';`).join('\n');
    const root = writeRepo({ 'product/truth.yaml': 'version: 1\n', 'src/many.ts': `${imports}\n` });
    const run = await runTrt(['verify', '--root', root, '--no-cache', ...WILDCARDS]);
    expect(run.stdout).toContain('✖ verify failed: 256 errors');
    expect(run.code).toBe(1);
  });
});

describe('--format json', () => {
  it('prints exactly one JSON document on stdout, and nothing on stderr', async () => {
    const run = await runTrt(['verify', '--root', fixture('violations'), '--format', 'json', '--no-cache']);
    expect(run.stderr).toBe('');
    expect(run.stdout.trimEnd().split('\n')[0]).toBe('{');
    expect(() => JSON.parse(run.stdout)).not.toThrow();
    const report = JSON.parse(run.stdout) as Report;
    const validate = verifyReportValidator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.root).toBe(fixture('violations').replace(/\\/g, '/'));
  });

  it('the schema rejects what SPEC §4 does not allow', () => {
    const validate = verifyReportValidator();
    const finding = { rule: 'no-wildcard-imports', severity: 'error', file: 'src/a.ts', line: 1, column: 1, message: 'm' };
    const report = (override: object) => ({ root: '/r', findings: [{ ...finding, ...override }], summary: { files: 1, errors: 1, warnings: 0, durationMs: 3 } });
    expect(validate(report({}))).toBe(true);
    expect(validate(report({ fix: 'do this' }))).toBe(true);
    expect(validate(report({ severity: 'info' }))).toBe(false);
    expect(validate(report({ line: 0 }))).toBe(false);
    expect(validate(report({ column: 1.5 }))).toBe(false);
    expect(validate(report({ file: '/abs/a.ts' }))).toBe(false);
    expect(validate(report({ file: 'src\\a.ts' }))).toBe(false);
    expect(validate(report({ file: './src/a.ts' }))).toBe(false);
    expect(validate(report({ extra: true }))).toBe(false);
    expect(validate({ ...report({}), baselined: 0 })).toBe(false);
  });
  it('a finding about a truth file outside the root names it relative to the root', async () => {
    const root = writeRepo({ 'repo/src/a.ts': 'export const a = 1;\n', 'elsewhere/truth.yaml': 'version: 1\ndatabase:\n  lock_key: 99999999999\n' });
    const { code, report } = await verifyJson(['--root', join(root, 'repo'), '--truth', join(root, 'elsewhere', 'truth.yaml'), '--rule', 'advisory-lock-int32']);
    expect(report.findings.map(({ rule, file, line }) => `${rule} ${file}:${line}`)).toEqual(['advisory-lock-int32 ../elsewhere/truth.yaml:3']);
    expect(code).toBe(1);
  });
});

describe('--format sarif', () => {
  it('is valid SARIF 2.1.0 that points at the findings', async () => {
    const run = await runTrt(['verify', '--root', fixture('violations'), '--format', 'sarif', '--no-cache']);
    expect(run.code).toBe(1);
    const log = JSON.parse(run.stdout);
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);

    const [sarifRun] = log.runs;
    const rules = sarifRun.tool.driver.rules as { id: string }[];
    const results = sarifRun.results as { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number; startColumn: number } } }[] }[];
    expect(results.map((result) => [result.ruleId, result.level, result.locations[0]!.physicalLocation.artifactLocation.uri, result.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['no-wildcard-imports', 'error', 'src/index.ts', 3],
      ['no-wildcard-imports', 'error', 'src/index.ts', 6],
    ]);
    for (const result of results) expect(rules[result.ruleIndex]!.id).toBe(result.ruleId);
    expect(sarifRun.originalUriBaseIds['%SRCROOT%'].uri).toMatch(/^file:\/\/.*\/$/);
  });

  it('stays valid with a file that does not parse and a path that needs escaping', async () => {
    const root = writeRepo({
      'product/truth.yaml': 'version: 1\nverify:\n  rules:\n    no-wildcard-imports: warn\n',
      'src/broken.ts': 'export const = ;\n',
      'src/odd #name%.ts': "import * as path from 'node:path';\nexport const sep = path.sep;\n",
    });
    const run = await runTrt(['verify', '--root', root, '--format', 'sarif', '--no-cache', ...WILDCARDS]);
    const log = JSON.parse(run.stdout);
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const results = log.runs[0].results as { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
    expect(results.map((result) => [result.ruleId, result.level, result.locations[0]!.physicalLocation.artifactLocation.uri])).toEqual([
      ['parse-error', 'error', 'src/broken.ts'],
      ['no-wildcard-imports', 'warning', 'src/odd%20%23name%25.ts'],
    ]);
    for (const result of results) expect(log.runs[0].tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(run.code).toBe(1);
  });

  it('the SARIF schema catches a broken log (the validator can fail)', () => {
    const validate = sarifValidator();
    const log = (region: object) => ({
      version: '2.1.0',
      runs: [{ tool: { driver: { name: 'trt', informationUri: 'https://example.com/trt' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region } }] }] }],
    });
    expect(validate(log({ startLine: 1, startColumn: 1 }))).toBe(true);
    expect(validate(log({ startLine: 0 }))).toBe(false);
    expect(validate(log({ startColumn: 2 }))).toBe(false);
    expect(validate({ ...log({ startLine: 1 }), version: '2.0.0' })).toBe(false);
    expect(validate({ ...log({ startLine: 1 }), runs: [{ tool: { driver: { name: 'trt', informationUri: 'not a uri' } } }] })).toBe(false);
    expect(validate({ ...log({ startLine: 1 }), runs: [{ tool: { driver: { name: 'trt' } }, language: 'EN-us' }] })).toBe(true);
  });
});

describe('--format github', () => {
  it('prints one workflow annotation per finding', async () => {
    const run = await runTrt(['verify', '--root', fixture('violations'), '--format', 'github', '--no-cache']);
    const annotations = run.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toHaveLength(2);
    expect(annotations[0]).toMatch(/^::error file=src\/index\.ts,line=3,col=1,title=trt no-wildcard-imports::`import \* as path from 'node:path'`.*%0AFix: /);
    expect(annotations[1]).toMatch(/^::error file=src\/index\.ts,line=6,col=1,title=trt no-wildcard-imports::/);
    expect(run.code).toBe(1);
  });

  it('uses ::warning for warnings', async () => {
    const run = await runTrt(['verify', '--root', fixture('warnings'), '--format', 'github', '--no-cache']);
    expect(run.stdout).toMatch(/^::warning file=src\/index\.ts,line=1,col=1,title=trt no-wildcard-imports::/m);
    expect(run.code).toBe(0);
  });
});

describe('--format text', () => {
  it('groups findings under their file, without colour when stdout is not a terminal', async () => {
    const run = await runTrt(['verify', '--root', fixture('violations'), '--no-cache', ...WILDCARDS]);
    expect(run.stdout).not.toMatch(ANSI);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('src/index.ts');
    expect(lines[1]).toMatch(/^ {2}3:1 +error {2}`import \* as path/);
    expect(lines.find((line) => line.startsWith('  6:1'))).toMatch(/error {2}`export \* from/);
    expect(run.stdout).toContain('✖ verify failed: 2 errors, 0 warnings in 2 files, 1 rule');
  });

  it('honours NO_COLOR even when colour is forced', async () => {
    const forced = await runTrt(['verify', '--root', fixture('violations'), '--no-cache'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    const run = await runTrt(['verify', '--root', fixture('violations'), '--no-cache'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toContain('✖ verify failed');
  });
});

describe('usage and configuration errors exit 2 with a clear message', () => {
  it('an invalid truth.yaml names every problem with its line and JSON path', async () => {
    const run = await runTrt(['verify', '--root', fixture('invalid-truth'), '--format', 'json']);
    const truthFile = join(fixture('invalid-truth'), 'product', 'truth.yaml');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`trt: ${truthFile} does not match schemas/truth.schema.json (3 problems)`);
    const problems = run.stderr.split('\n').filter((line) => line.startsWith(`  ${truthFile}:`));
    expect(problems.map((line) => line.slice(truthFile.length + 3))).toEqual([
      '5: product.owner is not a known key (check its spelling; the schema lists the allowed keys)',
      '7: database.lock_key must be integer',
      '10: routes[1].method must be one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"',
    ]);
    expect(run.stderr).toContain('hint: ');
  });

  it('a YAML syntax error names its line', async () => {
    const run = await runTrt(['verify', '--root', fixture('yaml-syntax')]);
    const truthFile = join(fixture('yaml-syntax'), 'product', 'truth.yaml');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${truthFile} is not valid YAML`);
    expect(run.stderr).toContain(`  ${truthFile}:4: `);
  });

  it('a missing truth file says how to create one', async () => {
    const run = await runTrt(['verify', '--root', fixture('no-truth')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot read the truth file ${join(fixture('no-truth'), 'product', 'truth.yaml')}`);
    expect(run.stderr).toContain('hint: create it with `trt init`');
  });

  it('an unknown --rule is named, with the closest rule id', async () => {
    const run = await runTrt(['verify', '--root', fixture('clean'), '--rule', 'no-wildcard-import']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown rule "no-wildcard-import" (did you mean "no-wildcard-imports"?)');
    expect(run.stdout).toBe('');
  });

  it('an unknown flag is a usage error', async () => {
    const run = await runTrt(['verify', '--root', fixture('clean'), '--colour']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--colour'");
  });

  it('an unknown format is a usage error', async () => {
    const run = await runTrt(['verify', '--root', fixture('clean'), '--format', 'xml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Allowed choices are text, json, sarif, github');
  });

  it('a root that does not exist is a usage error', async () => {
    const run = await runTrt(['verify', '--root', fixture('no-such-repository')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a folder');
  });

  it('a baseline that does not exist is a usage error', async () => {
    const run = await runTrt(['verify', '--root', fixture('clean'), '--baseline', join(fixture('clean'), 'missing-baseline.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does not exist');
  });
});

describe('trt truth check', () => {
  it('accepts a valid truth file', async () => {
    const run = await runTrt(['truth', 'check', '--root', fixture('clean')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${join(fixture('clean'), 'product', 'truth.yaml')} is valid`);
  });

  it('rejects an invalid one with every problem', async () => {
    const run = await runTrt(['truth', 'check', '--truth', join(fixture('invalid-truth'), 'product', 'truth.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('(3 problems)');
    expect(run.stderr).toContain(':5: product.owner');
  });

  it('rejects YAML that does not parse', async () => {
    const run = await runTrt(['truth', 'check', '--root', fixture('yaml-syntax')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not valid YAML');
  });
});

describe('baseline', () => {
  /** A private copy of the violations fixture with a baseline recorded for it. */
  async function baselinedRepo(): Promise<{ root: string; baseline: string }> {
    const root = copyFixture('cli/violations');
    const baseline = join(root, 'trt-baseline.json');
    const update = await runTrt(['verify', '--root', root, '--update-baseline', '--baseline', baseline, '--no-cache']);
    expect(update.code).toBe(0);
    expect(update.stderr).toContain('baseline written with 2 finding(s)');
    return { root, baseline };
  }

  it('--update-baseline records the findings; a run with --baseline then passes', async () => {
    const { root, baseline } = await baselinedRepo();
    const recorded = JSON.parse(readFileSync(baseline, 'utf8'));
    expect(recorded.findings.map((entry: { rule: string; file: string }) => `${entry.rule} ${entry.file}`)).toEqual([
      'no-wildcard-imports src/index.ts',
      'no-wildcard-imports src/index.ts',
    ]);
    const { code, report } = await verifyJson(['--root', root, '--baseline', baseline]);
    expect(report.findings).toEqual([]);
    expect(report.summary).toMatchObject({ errors: 0, warnings: 0 });
    expect(code).toBe(0);
  });

  it('a new violation fails the run, and only it is reported', async () => {
    const { root, baseline } = await baselinedRepo();
    const file = join(root, 'src', 'index.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}import * as os from 'node:os';\nconsole.log(os.EOL);\n`);
    const { code, report } = await verifyJson(['--root', root, '--baseline', baseline]);
    expect(report.findings.map(({ rule, file: path, line }) => `${rule} ${path}:${line}`)).toEqual(['no-wildcard-imports src/index.ts:7']);
    expect(code).toBe(1);
  });

  it('the same violation moved down by inserted lines stays known', async () => {
    const { root, baseline } = await baselinedRepo();
    const file = join(root, 'src', 'index.ts');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(1, 0, '// one', '// two', '// three', '// four', '// five');
    writeFileSync(file, lines.join('\n'));
    const moved = await verifyJson(['--root', root, ...WILDCARDS]);
    expect(moved.report.findings.map(({ line }) => line)).toEqual([8, 11]);
    const { code, report } = await verifyJson(['--root', root, '--baseline', baseline]);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('a second copy of a known violation in the same file is new', async () => {
    const { root, baseline } = await baselinedRepo();
    const file = join(root, 'src', 'index.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}export * from './util.js';\n`);
    const { code, report } = await verifyJson(['--root', root, '--baseline', baseline]);
    expect(report.findings.map(({ line }) => line)).toEqual([7]);
    expect(code).toBe(1);
  });
});
