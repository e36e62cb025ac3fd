/**
 * The verify cache on real files: what a re-run reads again, what it takes on a file's size and
 * modification time, and that a truth file is still checked against its schema when it changes.
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCachePath, type StoredCache } from '../../cli/verify/cache.js';
import { verify } from '../../cli/verify/engine.js';
import { writeRepo } from './harness.js';

const TRUTH = 'version: 1\n';
const WILDCARD = "export * from './b.js';\n";
const NAMED = "export { b } from './b.js';\n";
/** The named form at the wildcard's length: an edit only a read can see. */
const NAMED_SAME_SIZE = "export {b}from'./b.js';\n";

const wildcards = async (root: string, cache: string) =>
  (await verify({ root, cache, workers: 0, rules: ['no-wildcard-imports'] })).findings.map(({ file, line }) => `${file}:${line}`);

const storedEntry = (cache: string, file: string) => (JSON.parse(readFileSync(cache, 'utf8')) as StoredCache).entries![file]!;

/** Moves a file's modification time well before any run, out of the window where it cannot be trusted. */
const age = (path: string, secondsAgo = 3600): Date => {
  const then = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, then, then);
  return then;
};

describe('verify cache', () => {
  it('reads a file again when it changed right after a run, even at the same size', async () => {
    const root = writeRepo({ 'product/truth.yaml': TRUTH, 'src/a.ts': WILDCARD, 'src/b.ts': 'export const b = 1;\n' });
    const cache = defaultCachePath(root);
    expect(await wildcards(root, cache)).toEqual(['src/a.ts:1']);

    // Written within the same second as the run that cached it.
    expect(NAMED_SAME_SIZE.length).toBe(WILDCARD.length);
    writeFileSync(join(root, 'src/a.ts'), NAMED_SAME_SIZE);
    expect(await wildcards(root, cache)).toEqual([]);
  });

  it('takes an old file on its size and modification time without reading it', async () => {
    const root = writeRepo({ 'product/truth.yaml': TRUTH, 'src/a.ts': WILDCARD, 'src/b.ts': 'export const b = 1;\n' });
    const cache = defaultCachePath(root);
    const then = age(join(root, 'src/a.ts'));
    expect(await wildcards(root, cache)).toEqual(['src/a.ts:1']);

    // Rewritten behind the cache's back: same size, modification time put back. Only a read
    // would see it, and the cache trusts the stamp: this is what spares a warm run the reads.
    writeFileSync(join(root, 'src/a.ts'), NAMED_SAME_SIZE);
    utimesSync(join(root, 'src/a.ts'), then, then);
    expect(await wildcards(root, cache)).toEqual(['src/a.ts:1']);

    // Any real edit moves the time (or the size) and is read again.
    age(join(root, 'src/a.ts'), 1800);
    expect(await wildcards(root, cache)).toEqual([]);
  });

  it('stores a touched file under its new time, keeping its scan', async () => {
    const root = writeRepo({ 'product/truth.yaml': TRUTH, 'src/a.ts': NAMED, 'src/b.ts': 'export const b = 1;\n' });
    const cache = defaultCachePath(root);
    age(join(root, 'src/a.ts'));
    await wildcards(root, cache);
    const before = storedEntry(cache, 'src/a.ts');

    age(join(root, 'src/a.ts'), 1800);
    expect(await wildcards(root, cache)).toEqual([]);
    const after = storedEntry(cache, 'src/a.ts');
    expect(after.hash).toBe(before.hash);
    expect(after.scan).toEqual(before.scan);
    expect(after.mtimeMs).toBeGreaterThan(before.mtimeMs);
  });

  it('keeps the facts described on demand with the file they describe, and describes it again once it changes', async () => {
    const send = "import { hello } from './texts.js';\nexport const f = (ctx: any) => ctx.reply(hello(ctx.match), { parse_mode: 'HTML' });\n";
    const root = writeRepo({ 'product/truth.yaml': TRUTH, 'src/send.ts': send, 'src/texts.ts': 'export const hello = (name: string) => `Hi ${name}`;\n' });
    const cache = defaultCachePath(root);
    const htmlFindings = async () =>
      (await verify({ root, cache, workers: 0, rules: ['telegram-html-safety'] })).findings.map(({ file, line, column }) => `${file}:${line}:${column}`);
    expect(await htmlFindings()).toEqual(['src/texts.ts:1:46']);
    expect(storedEntry(cache, 'src/texts.ts').described?.['telegram-html-safety']).toMatchObject({ builders: [{ exportNames: ['hello'] }] });
    // No send starts a chain from texts.ts itself: only the send's own file has scanned facts.
    expect(storedEntry(cache, 'src/texts.ts').scan.facts['telegram-html-safety']).toBeUndefined();
    expect(await htmlFindings()).toEqual(['src/texts.ts:1:46']);

    age(join(root, 'src/send.ts'));
    writeFileSync(join(root, 'src/texts.ts'), 'export const hello = (name: string) => `Hi ${escapeHtml(name)}`;\nconst escapeHtml = (text: string) => text;\n');
    expect(await htmlFindings()).toEqual([]);
    expect(storedEntry(cache, 'src/texts.ts').described?.['telegram-html-safety']).toMatchObject({ builders: [{ exportNames: ['hello'] }] });
  });

  it('checks a changed truth file against its schema even with a warm cache', async () => {
    const root = writeRepo({ 'product/truth.yaml': TRUTH, 'src/a.ts': NAMED, 'src/b.ts': 'export const b = 1;\n' });
    const cache = defaultCachePath(root);
    await verify({ root, cache, workers: 0 });
    expect((JSON.parse(readFileSync(cache, 'utf8')) as StoredCache).truthDigest).toMatch(/^[0-9a-f]{40}$/);
    await verify({ root, cache, workers: 0 });

    writeFileSync(join(root, 'product/truth.yaml'), 'version: 1\nverfiy: {}\n');
    await expect(verify({ root, cache, workers: 0 })).rejects.toMatchObject({ code: 'TRUTH_SCHEMA' });
  });
});
