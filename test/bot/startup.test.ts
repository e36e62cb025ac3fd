/**
 * How the bot refuses to start: a missing required variable in one line naming it; an applied
 * migration edited afterwards, naming the file (check 7 at the process level; the migration
 * runner's own cases are in db/migrate.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { packageFile, packageRoot } from '../../cli/core/package-root.js';
import { botEnvironment, freePort, spawnBot, writeTestTruth } from '../support/bot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let database: TestPostgres;

beforeAll(async () => {
  database = await startTestPostgres();
});

afterAll(async () => {
  await database?.destroy();
});

function runBot(env: Record<string, string>) {
  return spawnSync(process.execPath, [packageFile('dist/bot/main.js')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('start refused', () => {
  it('names a missing required variable in one line and exits 2', () => {
    const env = botEnvironment({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', telegramApiRoot: 'http://127.0.0.1:1', truthFile: writeTestTruth() });
    delete env.WEBHOOK_SECRET;
    const result = runBot(env);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('WEBHOOK_SECRET');
    expect(result.stdout).toBe('');
  });

  it('refuses a migration edited after it was applied, naming the file, and applies twice as a no-op', async () => {
    const databaseUrl = await database.createDatabase('edited');
    // database.migrations is a path inside the repository (the schema says so): a git-ignored folder.
    mkdirSync(packageFile('.data'), { recursive: true });
    const migrations = mkdtempSync(packageFile('.data/test-migrations-'));
    onTestFinished(() => rmSync(migrations, { recursive: true, force: true }));
    cpSync(packageFile('bot/migrations'), migrations, { recursive: true });
    const truthFile = writeTestTruth();
    const truth = parse(readFileSync(truthFile, 'utf8')) as { database: Record<string, unknown> };
    truth.database.migrations = relative(packageRoot(), migrations);
    writeFileSync(truthFile, stringify(truth));
    const env = { databaseUrl, telegramApiRoot: 'http://127.0.0.1:1', truthFile };

    for (let run = 0; run < 2; run += 1) {
      const bot = await spawnBot({ ...env, port: await freePort() });
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
    }

    writeFileSync(join(migrations, '002_core.sql'), `${readFileSync(join(migrations, '002_core.sql'), 'utf8')}\n-- edited\n`);
    const refused = runBot(botEnvironment({ ...env, port: await freePort() }));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('002_core.sql');
  });

  it('refuses an invalid model registry, naming the file and line', () => {
    mkdirSync(packageFile('.data'), { recursive: true });
    const folder = mkdtempSync(packageFile('.data/test-models-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const registry = join(folder, 'models.yaml');
    writeFileSync(registry, 'version: 1\nmodels:\n  - id: test/fast-image\n    title: Fast\n    kind: text-to-image\n    price_credits: free\n    kie_model: x\n    input: {}\n');
    const truthFile = writeTestTruth();
    const truth = parse(readFileSync(truthFile, 'utf8')) as { generation: Record<string, unknown> };
    truth.generation = { ...truth.generation, models: relative(packageRoot(), registry) };
    writeFileSync(truthFile, stringify(truth));
    const result = runBot(botEnvironment({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', telegramApiRoot: 'http://127.0.0.1:1', truthFile }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('start refused');
    expect(result.stderr).toMatch(/models\.yaml:6: .*price_credits/);
  });
});
