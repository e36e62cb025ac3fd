/**
 * The tool cache: what trt compiles once per machine. Checked on the real cache folder, read
 * only, since every test process shares it; the write helper on a folder of the test's own.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { toolCacheFile, writeFileAtomically } from '../../cli/core/tool-cache.js';
import { parseTruth } from '../../cli/core/truth.js';
import { keepCompiledTypeScript, loadTypeScript } from '../../cli/verify/scan/typescript.js';

describe('writeFileAtomically', () => {
  it('writes the whole file and leaves no temporary file behind', () => {
    const folder = mkdtempSync(join(tmpdir(), 'trt-tool-cache-'));
    expect(writeFileAtomically(join(folder, 'deep/er/file.txt'), 'content')).toBe(true);
    expect(readFileSync(join(folder, 'deep/er/file.txt'), 'utf8')).toBe('content');
    expect(readdirSync(join(folder, 'deep/er'))).toEqual(['file.txt']);
  });

  it('says false, without throwing, where it cannot write', () => {
    const folder = mkdtempSync(join(tmpdir(), 'trt-tool-cache-'));
    writeFileSync(join(folder, 'a-file'), '');
    expect(writeFileAtomically(join(folder, 'a-file/below'), 'content')).toBe(false);
  });
});

describe('the tool cache', () => {
  it('keeps the truth schema’s generated validator, which refuses what the schema refuses', () => {
    parseTruth('version: 1\n', 'truth.yaml');
    const folder = toolCacheFile('validators');
    const generated = readdirSync(folder).filter((name) => name.endsWith('.cjs'));
    expect(generated.length).toBeGreaterThan(0);
    const validators = generated.map((name) => createRequire(import.meta.url)(join(folder, name)) as (data: unknown) => boolean);
    // Every kept validator is some schema's: none of them accepts a number for a document.
    for (const validate of validators) expect(validate(42)).toBe(false);
    expect(() => parseTruth('version: 1\nverfiy: {}\n', 'truth.yaml')).toThrow(
      expect.objectContaining({ code: 'TRUTH_SCHEMA', details: [expect.stringMatching(/^truth\.yaml:2: verfiy is not a known key/)] }),
    );
  });

  it('keeps V8’s compiled code of TypeScript once a run has parsed with it', () => {
    const ts = loadTypeScript();
    expect(ts.createSourceFile('a.ts', 'export const a = 1;', ts.ScriptTarget.Latest).statements).toHaveLength(1);
    keepCompiledTypeScript();
    const kept = readdirSync(toolCacheFile('v8')).filter((name) => name.startsWith(`typescript-${ts.version}-node-${process.version}`));
    expect(kept).toHaveLength(1);
    expect(existsSync(toolCacheFile(`v8/${kept[0]}`))).toBe(true);
  });

  it('loads TypeScript past a code cache V8 refuses, and keeps a good one in its place', async () => {
    const ts = loadTypeScript();
    keepCompiledTypeScript();
    const [name] = readdirSync(toolCacheFile('v8')).filter((file) => file.startsWith(`typescript-${ts.version}-node-${process.version}`));
    const codeCache = toolCacheFile(`v8/${name}`);
    // Another process may load TypeScript meanwhile: V8 refuses these bytes for it too, and it rewrites them.
    writeFileSync(codeCache, 'not compiled code');
    vi.resetModules();
    const fresh = (await import('../../cli/verify/scan/typescript.js')) as typeof import('../../cli/verify/scan/typescript.js');
    const reloaded = fresh.loadTypeScript();
    expect(reloaded).not.toBe(ts);
    expect(reloaded.createSourceFile('a.ts', 'const a = 1;', reloaded.ScriptTarget.Latest).statements).toHaveLength(1);
    fresh.keepCompiledTypeScript();
    expect(readFileSync(codeCache).length).toBeGreaterThan(1_000_000);
  });
});
