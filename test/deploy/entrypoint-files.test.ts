/**
 * The repository's own deploy files against its contract: render.yaml, the Dockerfile and
 * package.json start the service only through the blessed entrypoint (`single-entrypoint`, run
 * with the built CLI on a copy of them), and render.yaml sets the variables truth.yaml's `env`
 * requires, secrets without a value, and no forbidden one.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, runTrt } from '../cli/run.js';

const DEPLOY_FILES = ['package.json', 'render.yaml', 'Dockerfile', 'tsconfig.json', 'tsconfig.build.json'];

interface Finding {
  rule: string;
  file: string;
  line: number;
  column: number;
}

const copies: string[] = [];
afterEach(() => {
  for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
});

/** The deploy files and the contract, copied; the blessed file is a stub because only its path matters here. */
function copyOfDeployFiles(): string {
  const root = mkdtempSync(join(tmpdir(), 'trt-deploy-'));
  copies.push(root);
  for (const file of DEPLOY_FILES) cpSync(join(REPO, file), join(root, file));
  mkdirSync(join(root, 'product'));
  cpSync(join(REPO, 'product', 'truth.yaml'), join(root, 'product', 'truth.yaml'));
  mkdirSync(join(root, 'bot'));
  writeFileSync(join(root, 'bot', 'main.ts'), 'export {};\n');
  return root;
}

async function singleEntrypoint(root: string): Promise<{ code: number; findings: Finding[] }> {
  const run = await runTrt(['verify', '--root', root, '--rule', 'single-entrypoint', '--format', 'json', '--no-cache']);
  const report = JSON.parse(run.stdout) as { findings: Finding[] };
  return { code: run.code, findings: report.findings.map(({ rule, file, line, column }) => ({ rule, file, line, column })) };
}

/** Replaces the one match of `pattern` in `file` and returns where the replaced text started (1-based). */
function replaceOnce(root: string, file: string, pattern: RegExp, replacement: string): { line: number; column: number } {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const matches = [...text.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))];
  expect(matches, `${file} should contain exactly one ${pattern}`).toHaveLength(1);
  const [match] = matches;
  const index = match!.index;
  writeFileSync(path, text.slice(0, index) + replacement + text.slice(index + match![0].length));
  const linesBefore = text.slice(0, index).split('\n');
  return { line: linesBefore.length, column: linesBefore[linesBefore.length - 1]!.length + 1 };
}

describe('single-entrypoint on the deploy files', () => {
  it('passes on render.yaml, the Dockerfile and package.json as they are', async () => {
    const result = await singleEntrypoint(copyOfDeployFiles());
    expect(result.findings).toEqual([]);
    expect(result.code).toBe(0);
  });

  // Each change starts another file; the finding points at the key or instruction that declares it.
  it.each([
    { file: 'render.yaml', change: 'startCommand: node dist/other.js', pattern: /startCommand: .*$/m },
    { file: 'Dockerfile', change: 'CMD ["node", "other.js"]', pattern: /^CMD .*$/m },
    { file: 'package.json', change: '"start": "node other.js"', pattern: /"start": ".*?"/ },
  ])('fails when $file starts another file ($change)', async ({ file, change, pattern }) => {
    const root = copyOfDeployFiles();
    const at = replaceOnce(root, file, pattern, change);
    const result = await singleEntrypoint(root);
    expect(result.findings).toEqual([{ rule: 'single-entrypoint', file, ...at }]);
    expect(result.code).toBe(1);
  });
});

interface EnvVar {
  key?: string;
  value?: unknown;
  sync?: boolean;
  generateValue?: boolean;
  fromDatabase?: { name?: string; property?: string };
}

interface Blueprint {
  services?: { name?: string; numInstances?: number; envVars?: EnvVar[] }[];
  databases?: { name?: string }[];
}

interface TruthEnv {
  required?: string[];
  optional?: Record<string, unknown>;
  forbidden?: string[];
  secret?: string[];
}

describe('render.yaml and the env contract', () => {
  const blueprint = parse(readFileSync(join(REPO, 'render.yaml'), 'utf8')) as Blueprint;
  const truth = parse(readFileSync(join(REPO, 'product', 'truth.yaml'), 'utf8')) as { env: TruthEnv };
  const env = truth.env;
  const services = blueprint.services ?? [];
  const envVars = services.flatMap((service) => service.envVars ?? []);
  const keys = envVars.map((entry) => entry.key);

  it('runs one instance: behind the load balancer, a second one would be PASSIVE for half the traffic', () => {
    expect(services).toHaveLength(1);
    expect(services[0]!.numInstances).toBe(1);
  });

  it('sets every env.required variable', () => {
    expect(env.required?.length).toBeGreaterThan(0);
    for (const name of env.required ?? []) expect(keys, `${name} (env.required)`).toContain(name);
  });

  it('sets no env.forbidden variable', () => {
    for (const name of env.forbidden ?? []) expect(keys, `${name} (env.forbidden)`).not.toContain(name);
  });

  it('sets only variables truth.yaml declares, each once', () => {
    const declared = new Set([...(env.required ?? []), ...Object.keys(env.optional ?? {}), ...(env.secret ?? [])]);
    for (const key of keys) expect(declared, `${key} is not declared in truth.yaml env`).toContain(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives no secret a value: Render asks for it, or it comes from the database', () => {
    const secrets = new Set(env.secret ?? []);
    for (const entry of envVars.filter((item) => secrets.has(item.key ?? ''))) {
      expect(entry.value, `${entry.key} has a value in render.yaml`).toBeUndefined();
      expect(entry.generateValue, `${entry.key} is generated`).toBeUndefined();
      expect(entry.sync === false || entry.fromDatabase !== undefined, `${entry.key}: sync: false or fromDatabase`).toBe(true);
    }
  });

  it('takes DATABASE_URL from a database the blueprint declares', () => {
    const databaseUrl = envVars.find((entry) => entry.key === 'DATABASE_URL');
    const databases = (blueprint.databases ?? []).map((database) => database.name);
    expect(databaseUrl?.fromDatabase).toEqual({ name: expect.any(String), property: 'connectionString' });
    expect(databases).toContain(databaseUrl?.fromDatabase?.name);
  });
});
