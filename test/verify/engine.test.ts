import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../cli/verify/engine.js';
import { writeRepo } from './harness.js';

const TRUTH = `version: 1
legacy:
  quarantine: old
verify:
  exclude: ["generated/**"]
`;

const where = (result: Awaited<ReturnType<typeof verify>>) => result.findings.map(({ rule, file, line }) => `${rule} ${file}:${line}`);

describe('verify engine', () => {
  it('reports a file that does not parse and goes on with the others', async () => {
    const root = writeRepo({
      'product/truth.yaml': TRUTH,
      'src/broken.ts': 'export const ok = 1;\nconst = ;\n',
      'src/wild.ts': "export * from './other.js';\n",
      'src/other.ts': 'export const other = 2;\n',
    });
    const result = await verify({ root, cache: false, workers: 0 });
    expect(where(result)).toEqual(['parse-error src/broken.ts:2', 'no-wildcard-imports src/wild.ts:1']);
    expect(result.summary.errors).toBe(2);
  });

  it('exempts quarantined and excluded files from the code rules', async () => {
    const root = writeRepo({
      'product/truth.yaml': TRUTH,
      'old/legacy.ts': "export * from './x.js';\n",
      'generated/api.ts': "export * from './y.js';\n",
      'src/main.ts': 'export const main = 1;\n',
    });
    const result = await verify({ root, cache: false, workers: 0, rules: ['no-wildcard-imports'] });
    expect(result.findings).toEqual([]);
    expect(result.summary.files).toBe(1);
  });

  it('gives the same findings from the cache, and sees a changed file', async () => {
    const root = writeRepo({
      'product/truth.yaml': TRUTH,
      'src/a.ts': "export * from './b.js';\n",
      'src/b.ts': 'export const b = 1;\n',
    });
    const cache = join(root, 'cache.json');
    const cold = await verify({ root, cache, workers: 0 });
    expect(existsSync(cache)).toBe(true);
    const warm = await verify({ root, cache, workers: 0 });
    expect(warm.findings).toEqual(cold.findings);

    writeFileSync(join(root, 'src/b.ts'), "import * as a from './a.js';\nexport const b = a;\n");
    const changed = await verify({ root, cache, workers: 0, rules: ['no-wildcard-imports'] });
    expect(where(changed)).toEqual(['no-wildcard-imports src/a.ts:1', 'no-wildcard-imports src/b.ts:1']);
    const stored = JSON.parse(readFileSync(cache, 'utf8')) as { entries: Record<string, { hash: string }> };
    expect(Object.keys(stored.entries).sort()).toEqual(['src/a.ts', 'src/b.ts']);
  });

  it('finds the same in worker threads as on the main thread', async () => {
    // Workers load the compiled worker script, so this runs the built engine (npm test builds first).
    const built = (await import(join(import.meta.dirname, '../../dist/cli/verify/engine.js'))) as { verify: typeof verify };
    const files: Record<string, string> = { 'product/truth.yaml': TRUTH };
    for (let index = 0; index < 300; index++) {
      files[`src/m${index}.ts`] = index % 50 === 0 ? `export * from './m${index + 1}.js';\n` : `import { v${index + 1} } from './m${index + 1}.js';\nexport const v${index} = 1;\n`;
    }
    const root = writeRepo(files);
    const inProcess = await built.verify({ root, cache: false, workers: 0 });
    const threaded = await built.verify({ root, cache: false, workers: 2 });
    expect(threaded.findings).toEqual(inProcess.findings);
    expect(inProcess.findings.filter((finding) => finding.rule === 'no-wildcard-imports')).toHaveLength(6);
  });
});
