import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import rule, { blockingFix, isBlockingExport } from '../../../cli/verify/rules/no-blocking-in-async.js';
import { ruleFindings, writeRepo } from '../harness.js';

const RULE = 'no-blocking-in-async';

async function snippetFindings(code: string, file = 'src/job.ts') {
  const root = writeRepo({ 'product/truth.yaml': 'version: 1\nentrypoint: { blessed: src/main.ts }\n', [file]: code });
  const result = await verify({ root, truth: join(root, 'product/truth.yaml'), cache: false, workers: 0, rules: [RULE] });
  return result.findings.map(({ line, column, severity }) => ({ line, column, severity }));
}

describe(RULE, () => {
  it.each([
    ['good/startup-and-lookalikes', []],
    ['good/allowed-names', []],
    [
      'bad/async-functions',
      [
        { file: 'src/services/boot.cjs', line: 6, column: 6 },
        { file: 'src/services/boot.cjs', line: 7, column: 3 },
        { file: 'src/services/boot.cjs', line: 8, column: 3 },
        { file: 'src/services/boot.cjs', line: 9, column: 26 },
        { file: 'src/services/storage.ts', line: 8, column: 8 },
        { file: 'src/services/storage.ts', line: 9, column: 15 },
        { file: 'src/services/storage.ts', line: 10, column: 15 },
        { file: 'src/services/storage.ts', line: 15, column: 22 },
        { file: 'src/services/storage.ts', line: 16, column: 35 },
        { file: 'src/services/storage.ts', line: 21, column: 3 },
        { file: 'src/services/storage.ts', line: 22, column: 43 },
        { file: 'src/services/storage.ts', line: 26, column: 11 },
        { file: 'src/services/storage.ts', line: 28, column: 3 },
      ],
    ],
    [
      'bad/request-handlers',
      [
        { file: 'src/http/express-app.js', line: 8, column: 6 },
        { file: 'src/http/express-app.js', line: 11, column: 54 },
        { file: 'src/http/express-app.js', line: 12, column: 64 },
        { file: 'src/http/routes.ts', line: 10, column: 16 },
        { file: 'src/http/routes.ts', line: 16, column: 7 },
        { file: 'src/http/routes.ts', line: 22, column: 5 },
        { file: 'src/http/routes.ts', line: 25, column: 51 },
        { file: 'src/http/routes.ts', line: 27, column: 5 },
        { file: 'src/http/routes.ts', line: 32, column: 14 },
        { file: 'src/http/routes.ts', line: 32, column: 23 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it.each([
    ['import = require', "import fs = require('fs');\nexport async function f() { return fs.readFileSync('x'); }", [{ line: 2, column: 39 }]],
    ['a handler declared as a const arrow', "import { readFileSync } from 'node:fs';\ndeclare const app: any;\nconst health = (req: unknown, reply: any) => reply.send(readFileSync('v'));\napp.get('/health', health);", [{ line: 3, column: 57 }]],
    ['a callback inside an async method of an object', "import { gzipSync } from 'zlib';\nexport const job = { async run(items: string[]) { items.forEach((item) => gzipSync(item)); } };", [{ line: 2, column: 75 }]],
    ['an immediately invoked function inside an async function', "import { execSync } from 'child_process';\nexport async function f() { (() => execSync('ls'))(); }", [{ line: 2, column: 36 }]],
    ['a named function inside an async function is its own function', "import { execSync } from 'child_process';\nexport async function f() { function g() { return execSync('ls'); } return g; }", []],
    ['an emitter listener is not a bot handler', "import { readFileSync } from 'fs';\ndeclare const socket: any;\nsocket.on('data', () => readFileSync('x'));", []],
    ['a Map lookup is not a route', "import { existsSync } from 'fs';\nconst cache = new Map<string, unknown>();\nexport const hit = [1].map(() => cache.get('/a')) && ['/a'].filter((p) => existsSync(p));", []],
    ['a type-only import binds nothing', "import type { readFileSync } from 'fs';\ndeclare const read: typeof readFileSync;\nexport async function f() { return read('x'); }", []],
    ['crypto randomFillSync is cheap and allowed', "import { randomFillSync, pbkdf2Sync } from 'crypto';\nexport async function f() { randomFillSync(new Uint8Array(4)); return pbkdf2Sync('p', 's', 1, 32, 'sha256'); }", [{ line: 2, column: 71 }]],
  ])('%s', async (_case, code, expected) => {
    expect((await snippetFindings(code)).map(({ line, column }) => ({ line, column }))).toEqual(expected);
  });

  it('warns by default', async () => {
    expect(await snippetFindings("import { readFileSync } from 'fs';\nexport async function f() { return readFileSync('x'); }")).toEqual([{ line: 2, column: 36, severity: 'warn' }]);
  });
});

describe('no-blocking-in-async helpers', () => {
  it.each([
    ['fs', 'readFileSync', true],
    ['fs', 'readFile', false],
    ['fs', 'Sync', false],
    ['child_process', 'spawnSync', true],
    ['zlib', 'brotliCompressSync', true],
    ['crypto', 'scryptSync', true],
    ['crypto', 'randomFillSync', false],
    ['crypto', 'createHash', false],
  ] as const)('isBlockingExport(%s, %s) = %s', (family, name, expected) => {
    expect(isBlockingExport(family, name)).toBe(expected);
  });

  it.each([
    ['fs', 'readFileSync', "`await readFile(…)` from 'node:fs/promises'"],
    ['fs', 'existsSync', '`await access(path)`'],
    ['fs', 'fsyncSync', 'FileHandle'],
    ['child_process', 'execFileSync', 'promisify(execFile)'],
    ['child_process', 'spawnSync', "once(child, 'close')"],
    ['zlib', 'gzipSync', "`gzip` from 'node:zlib'"],
    ['crypto', 'pbkdf2Sync', "`pbkdf2` from 'node:crypto'"],
    ['atomics', 'Atomics.wait', 'Atomics.waitAsync'],
  ] as const)('blockingFix(%s, %s) names the replacement', (family, name, expected) => {
    expect(blockingFix(family, name)).toContain(expected);
  });

  it.each([
    ['const a = readFileSync(p);', true],
    ["fs['statSync'](p)", true],
    ['Atomics.wait(view, 0, 0);', true],
    ['const text = await readFile(path);', false],
    ['const synced = await sync();', false],
  ])('prefilter on %j: %s', (text, expected) => {
    expect(rule.prefilter!.test(text)).toBe(expected);
  });
});
