import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import { isExempt, isMainGuard } from '../../../cli/verify/rules/single-entrypoint.js';
import { walk } from '../../../cli/verify/scan/ast.js';
import { FIXTURES, fixtureTruth, ruleFindings } from '../harness.js';

const RULE = 'single-entrypoint';

describe(RULE, () => {
  it.each([
    ['good/blessed-does-everything', []],
    ['good/near-misses', []],
    ['good/quarantined-entrypoints', []],
    ['good/tests-ignored-by-default', []],
    ['good/allowed-tools', []],
    ['good/no-entrypoint-section', []],
    ['good/start-commands-lead-to-blessed', []],
    ['good/build-output-fallback', []],
    [
      'bad/esm-main-guards',
      [
        { file: 'app/cli.ts', line: 8, column: 5 },
        { file: 'app/cli.ts', line: 9, column: 5 },
        { file: 'app/cli.ts', line: 10, column: 5 },
        { file: 'app/cli.ts', line: 11, column: 5 },
        { file: 'app/cli.ts', line: 12, column: 5 },
        { file: 'app/cli.ts', line: 13, column: 16 },
        { file: 'app/cli.ts', line: 14, column: 5 },
        { file: 'app/cli.ts', line: 15, column: 5 },
        { file: 'app/cli.ts', line: 16, column: 5 },
      ],
    ],
    [
      'bad/commonjs-main-guards',
      [
        { file: 'lib/tool.js', line: 5, column: 5 },
        { file: 'lib/tool.js', line: 6, column: 5 },
        { file: 'lib/tool.js', line: 7, column: 5 },
        { file: 'lib/tool.js', line: 8, column: 5 },
        { file: 'lib/worker.cjs', line: 4, column: 5 },
      ],
    ],
    [
      'bad/server-starts',
      [
        { file: 'app/callbacks.mjs', line: 4, column: 59 },
        { file: 'app/callbacks.mjs', line: 7, column: 13 },
        { file: 'app/callbacks.mjs', line: 11, column: 7 },
        { file: 'app/callbacks.mjs', line: 14, column: 36 },
        { file: 'app/edge.ts', line: 5, column: 1 },
        { file: 'app/edge.ts', line: 6, column: 5 },
        { file: 'app/edge.ts', line: 7, column: 6 },
        { file: 'app/http.ts', line: 6, column: 5 },
        { file: 'app/http.ts', line: 9, column: 15 },
        { file: 'app/http.ts', line: 11, column: 49 },
        { file: 'app/http.ts', line: 14, column: 9 },
        { file: 'app/http.ts', line: 17, column: 6 },
      ],
    ],
    [
      'bad/function-called-at-load',
      [
        { file: 'app/deferred.ts', line: 6, column: 10 },
        { file: 'app/server.ts', line: 5, column: 13 },
        { file: 'app/worker.ts', line: 6, column: 12 },
      ],
    ],
    [
      'bad/bot-starts',
      [
        { file: 'app/polling.ts', line: 7, column: 5 },
        { file: 'app/polling.ts', line: 10, column: 8 },
        { file: 'app/polling.ts', line: 13, column: 10 },
        { file: 'app/polling.ts', line: 15, column: 1 },
        { file: 'app/polling.ts', line: 17, column: 13 },
        { file: 'app/polling.ts', line: 19, column: 33 },
        { file: 'app/polling.ts', line: 22, column: 17 },
        { file: 'app/runner.js', line: 4, column: 1 },
      ],
    ],
    [
      'bad/forbidden-files',
      [
        { file: 'app/run.ts', line: 1, column: 1 },
        { file: 'cmd', line: 1, column: 1 },
        { file: 'server.js', line: 1, column: 1 },
      ],
    ],
    ['bad/blessed-missing', [{ file: 'product/truth.yaml', line: 3, column: 12 }]],
    ['bad/tests-when-not-ignored', [{ file: 'test/server.test.ts', line: 4, column: 11 }]],
    [
      'bad/package-json-scripts',
      [
        { file: 'package.json', line: 6, column: 5 },
        { file: 'package.json', line: 7, column: 5 },
        { file: 'package.json', line: 8, column: 5 },
        { file: 'package.json', line: 9, column: 5 },
      ],
    ],
    ['bad/entrypoint-command-undefined', [{ file: 'product/truth.yaml', line: 4, column: 12 }]],
    [
      'bad/dockerfile-exec-form',
      [
        { file: 'Dockerfile', line: 10, column: 1 },
        { file: 'docker/api.Dockerfile', line: 4, column: 1 },
      ],
    ],
    ['bad/dockerfile-shell-form', [{ file: 'Dockerfile', line: 8, column: 1 }]],
    [
      'bad/procfile',
      [
        { file: 'Procfile', line: 1, column: 1 },
        { file: 'Procfile', line: 2, column: 1 },
        { file: 'Procfile', line: 5, column: 1 },
      ],
    ],
    [
      'bad/render-yaml',
      [
        { file: 'render.yaml', line: 6, column: 5 },
        { file: 'render.yaml', line: 10, column: 5 },
        { file: 'render.yaml', line: 20, column: 5 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  /** A fixture copied to a temporary folder with its truth.yaml rewritten, so that a clean twin is shown to be checked, not skipped. */
  async function findingsWithTruth(fixture: string, edit: (truth: string) => string) {
    const root = mkdtempSync(join(tmpdir(), 'trt-single-entrypoint-'));
    cpSync(join(FIXTURES, RULE, fixture), root, { recursive: true });
    const truth = join(root, 'product', 'truth.yaml');
    cpSync(fixtureTruth(join(FIXTURES, RULE, fixture)), truth);
    writeFileSync(truth, edit(readFileSync(truth, 'utf8')));
    const result = await verify({ root, truth, rules: [RULE], cache: false, workers: 0 });
    return result.findings.map(({ file, line, column }) => ({ file, line, column }));
  }

  it('reports every start command of the clean twin once the blessed file is another one', async () => {
    const findings = await findingsWithTruth('good/start-commands-lead-to-blessed', (truth) =>
      truth.replace('blessed: src/main.ts', 'blessed: src/other.ts'),
    );
    // Procfile `npm run start` / `yarn start` and render.yaml `pnpm start` are entrypoint.command
    // (`npm start`) spelled differently: reported once, at package.json's start script (line 7).
    expect(findings).toEqual([
      { file: 'Dockerfile', line: 12, column: 1 },
      { file: 'Procfile', line: 4, column: 1 },
      { file: 'package.json', line: 7, column: 5 },
      { file: 'package.json', line: 8, column: 5 },
      { file: 'package.json', line: 9, column: 5 },
      { file: 'package.json', line: 10, column: 5 },
      { file: 'package.json', line: 11, column: 5 },
      { file: 'package.json', line: 12, column: 5 },
      { file: 'package.json', line: 13, column: 5 },
      { file: 'product/truth.yaml', line: 3, column: 12 },
      { file: 'render.yaml', line: 10, column: 5 },
      { file: 'render.yaml', line: 18, column: 5 },
      { file: 'src/main.ts', line: 3, column: 18 },
    ]);
  });

  it('checks test files when ignoreTests is false', async () => {
    const findings = await findingsWithTruth('good/tests-ignored-by-default', (truth) =>
      `${truth}verify:\n  rules:\n    single-entrypoint: { severity: error, options: { ignoreTests: false } }\n`,
    );
    expect(findings).toEqual([
      { file: 'app/__tests__/boot.ts', line: 1, column: 5 },
      { file: 'app/bot.spec.ts', line: 4, column: 5 },
      { file: 'test/server.test.ts', line: 4, column: 11 },
      { file: 'tests/e2e.ts', line: 3, column: 21 },
    ]);
  });

  it('checks tools once they are no longer allowed', async () => {
    const findings = await findingsWithTruth('good/allowed-tools', (truth) => truth.replace(/options: \{ allow: \[[^\]]*\] \}/, 'options: { allow: [] }'));
    expect(findings).toEqual([
      { file: 'bench/run.mjs', line: 5, column: 5 },
      { file: 'scripts/mock-telegram.mjs', line: 3, column: 58 },
    ]);
  });

  it('scans the old entrypoints once their folder is no longer the quarantine', async () => {
    const findings = await findingsWithTruth('good/quarantined-entrypoints', (truth) => truth.replace('quarantine: old', 'quarantine: attic'));
    expect(findings).toEqual([
      { file: 'old/app/run.ts', line: 4, column: 5 },
      { file: 'old/run.ts', line: 1, column: 1 },
      { file: 'old/server.js', line: 3, column: 5 },
      { file: 'old/server.js', line: 3, column: 34 },
    ]);
  });
});

describe('isMainGuard', () => {
  const guards = (code: string) => {
    const sourceFile = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    walk(ts, sourceFile, (node) => {
      if (!isMainGuard(ts, node, new Set(['esMain']))) return;
      found.push(node.getText(sourceFile));
      return false;
    });
    return found;
  };

  it.each([
    ['import.meta.url === `file://${process.argv[1]}`'],
    ['`file://${process.argv[1]}` !== import.meta.url'],
    ['pathToFileURL(process.argv[1]).href === import.meta.url'],
    ['fileURLToPath(import.meta.url) == process.argv[1]'],
    ['resolve(process.argv[1]) === resolve(fileURLToPath(import.meta.url))'],
    ['realpathSync(process.argv[1]) != import.meta.filename'],
    ['process.argv[1] === import.meta.dirname + "/cli.js"'],
    ['require.main === module'],
    ['module === require.main'],
    ['process.mainModule === module'],
    ['require.main.filename === __filename'],
    ['process.argv.at(1) === __filename'],
    ['import.meta.url.endsWith(process.argv[1])'],
    ['isEntry(import.meta.url, process.argv[1])'],
    ['esMain(import.meta)'],
  ])('finds `%s`', (code) => {
    expect(guards(`const main = ${code};`)).toEqual([code]);
  });

  it.each([
    ['console.log(import.meta.url, process.argv[1]);'],
    ['const here = fileURLToPath(import.meta.url);'],
    ['const isVerbose = process.argv[2] === "-v";'],
    ['const same = import.meta.url === other;'],
    ['const script = process.argv[1] === "cli.js";'],
    ['const mod = module === exports;'],
    ['const text = "require.main === module";'],
    ['// if (import.meta.url === `file://${process.argv[1]}`)'],
  ])('ignores `%s`', (code) => {
    expect(guards(code)).toEqual([]);
  });
});

describe('isExempt', () => {
  const options = (allow: string[], ignoreTests: boolean) => ({ allow, ignoreTests, scripts: [] });

  it.each([
    ['app/server.test.ts', true],
    ['app/server.spec.mjs', true],
    ['test/helpers/http.ts', true],
    ['packages/api/tests/e2e.ts', true],
    ['src/__tests__/boot.ts', true],
    ['src/testing/server.ts', false],
    ['src/latest.ts', false],
  ])('%s counts as a test file: %s', (file, isTest) => {
    expect(isExempt(file, options([], true))).toBe(isTest);
    expect(isExempt(file, options([], false))).toBe(false);
  });

  it('exempts allowed globs', () => {
    expect(isExempt('bench/generate-repo.mjs', options(['bench/**'], false))).toBe(true);
    expect(isExempt('src/bench.ts', options(['bench/**'], false))).toBe(false);
  });
});
