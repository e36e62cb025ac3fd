import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTruth } from '../../cli/core/truth.js';
import { copyFixture, removeCopies, REPO, runTrt } from './run.js';

afterAll(removeCopies);

describe('trt init', () => {
  it('writes product/truth.yaml that `trt truth check` accepts', async () => {
    const root = copyFixture('init/fastify-ts');
    const run = await runTrt(['init', '--root', root]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('entrypoint src/server.ts, 4 routes, 8 env variables, migrations in db/migrations, quarantine legacy');
    const text = readFileSync(join(root, 'product', 'truth.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/trt/schemas/truth.schema.json');
    const check = await runTrt(['truth', 'check', '--root', root]);
    expect(check.code).toBe(0);
  });

  it('refuses to overwrite an existing truth file (exit 2) unless --force', async () => {
    const root = copyFixture('init/js-only');
    expect((await runTrt(['init', '--root', root])).code).toBe(0);
    const truthFile = join(root, 'product', 'truth.yaml');
    writeFileSync(truthFile, 'version: 1\n# edited by hand\n');

    const refused = await runTrt(['init', '--root', root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${truthFile} already exists`);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(truthFile, 'utf8')).toBe('version: 1\n# edited by hand\n');

    const forced = await runTrt(['init', '--root', root, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(truthFile, 'utf8')).toContain('blessed: server.mjs');
  });

  it('--stdout prints the starter file and writes nothing', async () => {
    const root = copyFixture('init/js-only');
    const run = await runTrt(['init', '--root', root, '--stdout']);
    expect(run.code).toBe(0);
    expect(existsSync(join(root, 'product'))).toBe(false);
    expect(parseTruth(run.stdout, 'stdout').truth.entrypoint).toEqual({ blessed: 'server.mjs', command: 'node server.mjs' });
  });

  it('on trt itself: points at the repository schema and stays valid', async () => {
    const run = await runTrt(['init', '--root', REPO, '--stdout']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/truth.schema.json');
    expect(() => parseTruth(run.stdout, 'stdout')).not.toThrow();
  });

  it('writes a truth file the env and route gates then agree with', async () => {
    const root = copyFixture('init/fastify-ts');
    expect((await runTrt(['init', '--root', root])).code).toBe(0);
    const run = await runTrt(['verify', '--root', root, '--rule', 'undeclared-env', 'truth-routes', 'required-files', '--format', 'json', '--no-cache']);
    expect(JSON.parse(run.stdout).findings).toEqual([]);
    expect(run.code).toBe(0);

    // The start command leads to the chosen entrypoint; only the second starter it listed is reported.
    const entry = await runTrt(['verify', '--root', root, '--rule', 'single-entrypoint', '--format', 'json', '--no-cache']);
    expect(JSON.parse(entry.stdout).findings.map((finding: { file: string }) => finding.file)).toEqual(['src/worker.ts']);
  });

  it('a root that is not a folder is a usage error', async () => {
    const run = await runTrt(['init', '--root', join(REPO, 'no-such-folder'), '--stdout']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a folder');
  });
});
