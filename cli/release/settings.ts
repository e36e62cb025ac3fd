/**
 * Everything a release needs, resolved once from the flags, truth.yaml and the environment before
 * any gate runs. A flag that cannot be read is a TrtError at once (exit 2); a setting a step needs
 * but lacks (a missing variable, no --url) is recorded as a problem of that step, so --dry-run can
 * list every one and a real run can refuse to start with all of them named.
 */
import { resolve } from 'node:path';
import { durationMs } from '../core/duration.js';
import { TrtError } from '../core/errors.js';
import { secretValuesFrom } from '../core/redact.js';
import type { Truth } from '../core/truth.js';
import { renderSettingsFrom, type RenderSettings } from '../ops/logs/render-source.js';
import { renderApiRoot } from '../ops/render/api.js';
import { hookKeys, type RenderDeploySettings } from '../ops/render/deploys.js';
import { resolveSmokeSettings, type SmokeSettings } from '../smoke/settings.js';
import { STEP_NAMES, type StepName } from './model.js';

export interface ReleaseFlags {
  url?: string;
  passiveUrl?: string;
  allowMutations?: boolean;
  spawn?: string;
  watch?: string;
  skip?: string;
  deployTimeout?: string;
  push?: boolean;
  artifacts?: string;
}

/** How the deploy gate deploys: Render's API, a deploy hook, or neither (the problem says what to set). */
export type DeployTarget = { kind: 'api'; api: RenderDeploySettings } | { kind: 'hook'; hookUrl: string } | { kind: 'missing'; problem: string };

export interface ReleaseSettings {
  root: string;
  truthPath: string;
  truth: Truth;
  /** release.steps, in order. */
  steps: StepName[];
  /** Steps --skip names: recorded as skipped, and the release is then not clean. */
  skipped: ReadonlySet<StepName>;
  testCommand: string | null;
  url: string | null;
  /** Resolved when --url is given. */
  smoke: SmokeSettings | null;
  deploy: DeployTarget;
  deployTimeoutMs: number;
  watchMs: number;
  /** How often the watch reads the logs. */
  watchPollMs: number;
  /** Where the watch reads logs from, or why it cannot. */
  logs: { settings: RenderSettings } | { problem: string };
  tagFormat: string | null;
  push: boolean;
  artifactsDir: string;
  env: NodeJS.ProcessEnv;
  /** Every secret value in the environment: cut out of every output. */
  secretValues: string[];
}

const DEFAULT_WATCH_MINUTES = 10;
export const DEFAULT_DEPLOY_TIMEOUT_MS = 20 * 60_000;
/** Render's logs budget is 30 requests a minute: a read every 15 s leaves room for paging. */
const WATCH_POLL_MAX_MS = 15_000;
const WATCH_POLL_MIN_MS = 1_000;

export function resolveReleaseSettings(truth: Truth, truthPath: string, flags: ReleaseFlags, root: string, env: NodeJS.ProcessEnv = process.env): ReleaseSettings {
  const steps = (truth.release?.steps ?? [...STEP_NAMES]) as StepName[];
  const skipped = skipList(flags.skip, steps);
  const smoke = flags.url === undefined ? null : resolveSmokeSettings(truth, { url: flags.url, ...smokePassThrough(flags) }, root, env);
  const watchMs = flags.watch === undefined ? (truth.release?.watch_minutes ?? DEFAULT_WATCH_MINUTES) * 60_000 : parseDuration('--watch', flags.watch);
  const hookUrl = (env.RENDER_DEPLOY_HOOK_URL ?? '').trim();
  const secretNames = [...new Set([...(truth.env?.secret ?? []), 'RENDER_API_KEY', 'RENDER_DEPLOY_HOOK_URL'])];
  return {
    root,
    truthPath,
    truth,
    steps,
    skipped,
    testCommand: truth.release?.test_command?.trim() || null,
    url: smoke?.url ?? null,
    smoke,
    deploy: deployTarget(env, smoke?.url ?? null),
    deployTimeoutMs: flags.deployTimeout === undefined ? DEFAULT_DEPLOY_TIMEOUT_MS : parseDuration('--deploy-timeout', flags.deployTimeout, 1),
    watchMs,
    watchPollMs: Math.min(WATCH_POLL_MAX_MS, Math.max(WATCH_POLL_MIN_MS, Math.round(watchMs / 3))),
    logs: logSource(env),
    tagFormat: truth.release?.tag_format ?? null,
    push: flags.push === true,
    artifactsDir: resolve(root, flags.artifacts ?? 'artifacts'),
    env,
    secretValues: [...new Set([...secretValuesFrom(secretNames, env), ...hookKeys(hookUrl), ...(smoke?.secretValues ?? [])])],
  };
}

/** `2m`, `90s`, `1.5h`, `500ms` in milliseconds; `minimumMs` keeps a timeout from being zero. */
export function parseDuration(flag: string, text: string, minimumMs = 0): number {
  const ms = durationMs(text);
  if (ms === undefined || ms < minimumMs) {
    throw new TrtError('BAD_FLAG', `${flag} ${JSON.stringify(text)} is not a duration`, `give a number and a unit: 30s, 2m, 1h${minimumMs > 0 ? ' (more than zero)' : ''}`);
  }
  return ms;
}

/** `1m 20s`, `3s`, `450 ms`: a duration as a person reads it. */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m ${seconds % 60}s`;
  return minutes % 60 === 0 ? `${Math.floor(minutes / 60)}h` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function smokePassThrough(flags: ReleaseFlags): { passiveUrl?: string; allowMutations?: boolean; spawn?: string } {
  return {
    ...(flags.passiveUrl === undefined ? {} : { passiveUrl: flags.passiveUrl }),
    ...(flags.allowMutations ? { allowMutations: true } : {}),
    ...(flags.spawn === undefined ? {} : { spawn: flags.spawn }),
  };
}

function skipList(text: string | undefined, steps: readonly StepName[]): Set<StepName> {
  if (text === undefined) return new Set();
  const names = text.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((name) => !(steps as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new TrtError('BAD_FLAG', `--skip: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a step' : 'are not steps'} of release.steps`, `the steps are ${steps.join(', ')}`);
  }
  return new Set(names as StepName[]);
}

/**
 * Render's API when RENDER_API_KEY and RENDER_SERVICE_ID are set (it reports the deploy's
 * status), else the deploy hook, whose success can only be seen on the service itself: it needs
 * --url.
 */
function deployTarget(env: NodeJS.ProcessEnv, url: string | null): DeployTarget {
  const apiKey = (env.RENDER_API_KEY ?? '').trim();
  const serviceId = (env.RENDER_SERVICE_ID ?? '').trim();
  const hookUrl = (env.RENDER_DEPLOY_HOOK_URL ?? '').trim();
  if (apiKey !== '' && serviceId !== '') {
    if (serviceId.includes(',')) return { kind: 'missing', problem: 'RENDER_SERVICE_ID lists several services: the deploy needs exactly one (srv-…)' };
    try {
      return { kind: 'api', api: { apiRoot: renderApiRoot(env), apiKey, serviceId } };
    } catch (error) {
      return { kind: 'missing', problem: error instanceof Error ? error.message : String(error) };
    }
  }
  if (hookUrl !== '') {
    if (!/^https?:\/\//i.test(hookUrl) || !URL.canParse(hookUrl)) return { kind: 'missing', problem: 'RENDER_DEPLOY_HOOK_URL is not an http(s) URL (copy it from the service’s Settings → Deploy Hook)' };
    if (url === null) return { kind: 'missing', problem: 'a deploy hook reports no deploy status: pass --url so the new version can be seen on its /health' };
    return { kind: 'hook', hookUrl };
  }
  const missing = [...(apiKey === '' ? ['RENDER_API_KEY'] : []), ...(serviceId === '' ? ['RENDER_SERVICE_ID'] : [])];
  return { kind: 'missing', problem: `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set, nor RENDER_DEPLOY_HOOK_URL: set the API key and service id, or the service's deploy hook URL (or --skip deploy)` };
}

function logSource(env: NodeJS.ProcessEnv): ReleaseSettings['logs'] {
  const missing = ['RENDER_API_KEY', 'RENDER_OWNER_ID', 'RENDER_SERVICE_ID'].filter((name) => (env[name] ?? '').trim() === '');
  if (missing.length > 0) {
    return { problem: `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: the watch reads the service's logs from Render's API (or --skip watch)` };
  }
  try {
    return { settings: renderSettingsFrom(env) };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

