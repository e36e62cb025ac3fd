/**
 * What the trt release tests share: a temporary git repository made from the fixture
 * test/fixtures/release/repo (copied, committed, with its own identity), the Render emulator's
 * settings as environment variables, the report's schema validator, and reading what a release
 * left behind (tags, reports, the releases.jsonl ledger).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse, stringify } from 'yaml';
import type { ReleaseReport } from '../../cli/release/model.js';
import type { RenderEmulator } from '../../emulators/render/server.js';
import { FIXTURES, REPO } from '../cli/run.js';
import { eventually } from '../support/bot.js';

export const RENDER_KEY = 'rnd_release_test_key_Q7w8E9r0T1y2';
export const OWNER = 'tea-release1';
export const SERVICE = 'srv-release1';

const repositories: string[] = [];

/** A committed copy of the fixture repository; `editTruth` changes its truth.yaml before the commit. */
export function makeRepo(editTruth?: (truth: Record<string, Record<string, unknown>>) => void): string {
  const repo = mkdtempSync(join(tmpdir(), 'trt-release-'));
  repositories.push(repo);
  cpSync(join(FIXTURES, 'release', 'repo'), repo, { recursive: true });
  if (editTruth) {
    const path = join(repo, 'product', 'truth.yaml');
    const truth = parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
    editTruth(truth);
    writeFileSync(path, stringify(truth));
  }
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'config', 'user.name', 'Release Test');
  git(repo, 'config', 'user.email', 'release-test@example.invalid');
  git(repo, 'config', 'commit.gpgsign', 'false');
  git(repo, 'config', 'tag.gpgsign', 'false');
  git(repo, 'add', '--all');
  git(repo, 'commit', '--quiet', '-m', 'the release fixture');
  return repo;
}

export function removeRepos(): void {
  for (const repo of repositories.splice(0)) rmSync(repo, { recursive: true, force: true });
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

export function tags(repo: string): string[] {
  return git(repo, 'tag', '--list').split('\n').filter(Boolean);
}

export function head(repo: string): string {
  return git(repo, 'rev-parse', 'HEAD').trim();
}

/** Today's `{yyyymmdd}` as the tag format has it (UTC). */
export function today(): string {
  return new Date().toISOString().slice(0, 10).replaceAll('-', '');
}

export function renderEnv(render: RenderEmulator): Record<string, string> {
  return { RENDER_API_KEY: RENDER_KEY, RENDER_OWNER_ID: OWNER, RENDER_SERVICE_ID: SERVICE, RENDER_API_ROOT: render.apiRoot, RENDER_DEPLOY_HOOK_URL: '' };
}

/** Once a deploy of the emulator is live, `then` runs (e.g. to add the logs the watch should see). */
export async function whenLive(render: RenderEmulator, then: () => void): Promise<void> {
  await eventually('a live deploy on the Render emulator', async () => (render.deploys().some((deploy) => deploy.status === 'live') ? true : undefined), 60_000, 20);
  then();
}

export function ledger(repo: string): ReleaseReport[] {
  const path = join(repo, 'artifacts', 'releases.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ReleaseReport);
}

export function reportFile(repo: string, report: ReleaseReport, ext: 'json' | 'md'): string {
  return readFileSync(join(repo, 'artifacts', `${report.id}.${ext}`), 'utf8');
}

export function releaseReportValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'release-report.schema.json'), 'utf8')) as object;
  return new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(schema);
}

export function parseReport(stdout: string, stderr: string): ReleaseReport {
  try {
    return JSON.parse(stdout) as ReleaseReport;
  } catch {
    throw new Error(`trt release printed no JSON report:\n${stdout}\n${stderr}`);
  }
}

/** A one-line log the emulator serves, timestamped now. */
export function logLine(message: string, level = 'info'): { timestamp: string; message: string; resource: string; level: string; instance: string } {
  return { timestamp: new Date().toISOString(), message, resource: SERVICE, level, instance: `${SERVICE}-new01` };
}

