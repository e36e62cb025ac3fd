/**
 * Running the built `trt` binary the way a user does: `node dist/cli/bin.js …` (built by
 * `npm test`'s pretest), no shell, stdout and stderr kept apart, the exit code as a number.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'dist', 'cli', 'bin.js');
export const FIXTURES = join(REPO, 'test', 'fixtures');

export interface TrtRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `trt args…`. The environment is the test's own minus the variables that change colour,
 * plus `env`: what is asserted about colour is decided by each test, not by the terminal.
 */
export function runTrt(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<TrtRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const copies: string[] = [];

/** A private copy of a fixture repository, for tests that write into it; see {@link removeCopies}. */
export function copyFixture(path: string): string {
  const target = mkdtempSync(join(tmpdir(), 'trt-cli-'));
  cpSync(join(FIXTURES, path), target, { recursive: true });
  copies.push(target);
  return target;
}

/** Deletes the copies made by {@link copyFixture} (call it from `afterAll`). */
export function removeCopies(): void {
  for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
}
