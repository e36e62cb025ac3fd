/**
 * Running `trt verify` on fixture repositories in tests: real files on disk, the real engine,
 * no cache and no workers so each test sees exactly its fixture.
 */
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verify, type VerifyOptions } from '../../cli/verify/engine.js';
import type { Finding, VerifyResult } from '../../cli/verify/finding.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'verify');

/** The truth file a fixture uses: its own product/truth.yaml, else its rule folder's truth.yaml, else the shared one. */
export function fixtureTruth(fixtureDir: string): string {
  const own = join(fixtureDir, 'product', 'truth.yaml');
  if (existsSync(own)) return own;
  for (let dir = dirname(fixtureDir); dir.startsWith(FIXTURES); dir = dirname(dir)) {
    const shared = join(dir, 'truth.yaml');
    if (existsSync(shared)) return shared;
  }
  return join(FIXTURES, 'truth.yaml');
}

/** Runs verify on `test/fixtures/verify/<path>` (e.g. `no-wildcard-imports/bad/export-star`). */
export async function verifyFixture(path: string, options: Omit<VerifyOptions, 'root'> = {}): Promise<VerifyResult> {
  const root = join(FIXTURES, path);
  return verify({ root, truth: fixtureTruth(root), cache: false, workers: 0, ...options });
}

/** The findings of one rule on a fixture, as `{ file, line, column }` for table assertions. */
export async function ruleFindings(rule: string, path: string): Promise<Pick<Finding, 'file' | 'line' | 'column'>[]> {
  const result = await verifyFixture(path, { rules: [rule] });
  return result.findings.filter((finding) => finding.rule === rule).map(({ file, line, column }) => ({ file, line, column }));
}

/** Writes an in-memory repository to a fresh temporary folder and returns its path. */
export function writeRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'trt-verify-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
