/**
 * The deploy gate. Through Render's API: trigger a deploy of RENDER_SERVICE_ID (201 with the
 * deploy, or 202 when Render queued it behind another: then it is found as the newest queued
 * deploy), and read it until it reaches a terminal status — only `live` passes — or the timeout.
 * Through a deploy hook (RENDER_DEPLOY_HOOK_URL, a secret): call it, then read --url's /health
 * until the service shows the deploy, because a hook reports no status: either /health's
 * `version` changed, or a healthy instance answers that started after the hook was called.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { describeNetworkError } from '../../ops/render/api.js';
import { callDeployHook, isTerminalDeployStatus, RenderDeployClient, type RenderDeploy, type RenderDeploySettings } from '../../ops/render/deploys.js';
import { metric, type GateVerdict } from '../model.js';
import { describeDuration } from '../settings.js';
import type { Gate, GateContext } from './gate.js';

/** Polls start fast (a deploy can be quick) and slow down to this. */
const POLL_MAX_MS = 5_000;
const POLL_FIRST_MS = 250;
/** A deploy created this long before the trigger's answer may still be ours (clocks differ). */
const CLOCK_SKEW_MS = 5_000;
const HEALTH_TIMEOUT_MS = 5_000;

export const deployGate: Gate = {
  name: 'deploy',
  title: 'deploy to Render',
  async plan({ settings }) {
    const timeout = describeDuration(settings.deployTimeoutMs);
    const target = settings.deploy;
    if (target.kind === 'api') {
      const base = `${target.api.apiRoot}/services/${target.api.serviceId}/deploys`;
      return { does: `POST ${base} (202: find it with ?status=queued&limit=1), then GET ${base}/{deployId} until a terminal status`, targets: ['status = live', `within ${timeout} (--deploy-timeout)`], problems: [] };
    }
    if (target.kind === 'hook') {
      return { does: `POST the deploy hook (RENDER_DEPLOY_HOOK_URL, redacted), then GET ${settings.url}/health until a new version or a new healthy instance answers`, targets: ['the new version serves /health', `within ${timeout} (--deploy-timeout)`], problems: [] };
    }
    return { does: 'deploy through Render’s API or a deploy hook', targets: ['status = live'], problems: [target.problem] };
  },
  async run(context): Promise<GateVerdict> {
    const target = context.settings.deploy;
    if (target.kind === 'api') return deployThroughApi(context, target.api);
    if (target.kind === 'hook') return deployThroughHook(context, target.hookUrl);
    throw new Error(`deploy started without a target: ${target.problem}`);
  },
};

async function deployThroughApi(context: GateContext, api: RenderDeploySettings): Promise<GateVerdict> {
  const { settings, state, note } = context;
  const client = new RenderDeployClient(api);
  const started = Date.now();
  const statuses: { status: string; at: string }[] = [];
  const seen = (deploy: RenderDeploy) => {
    if (statuses.at(-1)?.status === deploy.status) return;
    statuses.push({ status: deploy.status, at: new Date().toISOString() });
    note(`${deploy.id} ${deploy.status}`);
  };
  try {
    note('triggering a deploy');
    const triggered = await client.trigger();
    let deploy = triggered.deploy;
    let foundBy = 'the trigger’s 201 answer';
    if (deploy === null) {
      deploy = await client.newest('queued');
      foundBy = 'GET deploys?status=queued&limit=1 after a 202';
      if (deploy === null) {
        // Render moved it past `queued` before we asked: the newest deploy, if it is recent enough.
        const newest = await client.newest();
        if (newest !== null && Date.parse(newest.createdAt ?? '') >= started - CLOCK_SKEW_MS) {
          deploy = newest;
          foundBy = 'GET deploys?limit=1 after a 202 (no deploy was queued any more)';
        }
      }
    }
    const evidence: Record<string, unknown> = { via: 'api', service: api.serviceId, triggerStatus: triggered.httpStatus, foundBy };
    if (deploy === null) {
      return {
        status: 'fail',
        reason: 'Render queued a deploy (202) but lists no queued or new deploy of the service',
        metrics: [metric('deploy status', null, 'live', true)],
        evidence: { ...evidence, requests: client.requests },
      };
    }
    state.deployId = deploy.id;
    seen(deploy);
    let pollMs = POLL_FIRST_MS;
    let timedOut = false;
    while (!isTerminalDeployStatus(deploy.status)) {
      const left = settings.deployTimeoutMs - (Date.now() - started);
      if (left <= 0) {
        timedOut = true;
        break;
      }
      await sleep(Math.min(pollMs, left));
      pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
      deploy = await client.get(deploy.id);
      seen(deploy);
    }
    const durationMs = Date.now() - started;
    const live = deploy.status === 'live';
    const deployedCommit = deploy.commit?.id ?? null;
    // Render deploys the branch's newest commit: one other than the commit checked was not released by these gates.
    const otherCommit = live && deployedCommit !== null && deployedCommit !== state.commit;
    if (live) state.liveAt = deploy.finishedAt ?? statuses.at(-1)!.at;
    const metrics = [
      metric('deploy status', deploy.status, 'live', !live),
      metric('deploy duration ms', durationMs, `≤ ${settings.deployTimeoutMs} ms`, timedOut),
      ...(deployedCommit === null ? [] : [metric('deployed commit', deployedCommit, state.commit, otherCommit)]),
    ];
    const fullEvidence = { ...evidence, deployId: deploy.id, statuses, finishedAt: deploy.finishedAt ?? null, deployedCommit, checkedCommit: state.commit, requests: client.requests };
    if (timedOut) return { status: 'fail', reason: `deploy ${deploy.id} was still ${deploy.status} after ${describeDuration(settings.deployTimeoutMs)} (--deploy-timeout)`, metrics, evidence: fullEvidence };
    if (!live) return { status: 'fail', reason: `deploy ${deploy.id} ended ${deploy.status}`, metrics, evidence: fullEvidence };
    if (otherCommit) {
      return { status: 'fail', reason: `Render deployed commit ${deployedCommit!.slice(0, 12)}, but the gates checked ${state.commit.slice(0, 12)}: push the commit to the branch the service deploys, then release again`, metrics, evidence: fullEvidence };
    }
    return { status: 'pass', reason: `deploy ${deploy.id} live in ${describeDuration(durationMs)}`, metrics, evidence: fullEvidence };
  } finally {
    await client.close();
  }
}

interface HealthReading {
  at: string;
  httpStatus: number | null;
  status: string | null;
  version: string | null;
  uptimeS: number | null;
  error?: string;
}

async function deployThroughHook(context: GateContext, hookUrl: string): Promise<GateVerdict> {
  const { settings, state, note, redact } = context;
  const healthUrl = `${settings.url!}/health`;
  const before = await readHealth(healthUrl);
  note('calling the deploy hook');
  const calledMs = Date.now();
  const hook = await callDeployHook(hookUrl);
  const evidence: Record<string, unknown> = { via: 'deploy hook (RENDER_DEPLOY_HOOK_URL, redacted)', hookStatus: hook.httpStatus, hookDeployId: hook.deployId, before };
  let pollMs = POLL_FIRST_MS;
  let polls = 0;
  let last: HealthReading = before;
  for (;;) {
    const left = settings.deployTimeoutMs - (Date.now() - calledMs);
    if (left <= 0) break;
    await sleep(Math.min(pollMs, left));
    pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
    polls++;
    last = await readHealth(healthUrl);
    note(`/health ${last.httpStatus ?? last.error} version ${last.version ?? '?'}`);
    const confirmedBy = confirmation(before, last, Date.now() - calledMs);
    if (confirmedBy === null) continue;
    state.liveAt = last.at;
    const durationMs = Date.now() - calledMs;
    return {
      status: 'pass',
      reason: `${confirmedBy} on ${redact(healthUrl)} after ${describeDuration(durationMs)}`,
      metrics: [metric('deploy confirmed on /health', confirmedBy, 'a new version or a new healthy instance', false), metric('deploy duration ms', durationMs, `≤ ${settings.deployTimeoutMs} ms`, false)],
      evidence: { ...evidence, after: last, confirmedBy, polls },
    };
  }
  return {
    status: 'fail',
    reason: `no new version or new healthy instance on ${redact(healthUrl)} within ${describeDuration(settings.deployTimeoutMs)} after the deploy hook (last: ${last.httpStatus ?? last.error}, version ${last.version ?? 'unknown'})`,
    metrics: [metric('deploy confirmed on /health', 'not confirmed', 'a new version or a new healthy instance', true), metric('deploy duration ms', Date.now() - calledMs, `≤ ${settings.deployTimeoutMs} ms`, true)],
    evidence: { ...evidence, after: last, confirmedBy: null, polls },
  };
}

/**
 * What shows the deploy serves: a healthy answer with another `version` than before the hook, or
 * a healthy answer from a process younger than the time since the hook was called.
 */
function confirmation(before: HealthReading, now: HealthReading, sinceHookMs: number): string | null {
  if (now.httpStatus !== 200 || now.status !== 'ok') return null;
  if (before.version !== null && now.version !== null && now.version !== before.version) return `version changed from ${before.version} to ${now.version}`;
  if (now.uptimeS !== null && now.uptimeS * 1000 < sinceHookMs) return `a new instance (up ${now.uptimeS.toFixed(1)} s, started after the hook) answers healthy`;
  return null;
}

async function readHealth(url: string): Promise<HealthReading> {
  const at = new Date().toISOString();
  try {
    const response = await request(url, { method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    const text = await response.body.text();
    let body: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: only the status code says anything.
    }
    return {
      at,
      httpStatus: response.statusCode,
      status: typeof body.status === 'string' ? body.status : null,
      version: typeof body.version === 'string' ? body.version : null,
      uptimeS: typeof body.uptime_s === 'number' ? body.uptime_s : null,
    };
  } catch (error) {
    return { at, httpStatus: null, status: null, version: null, uptimeS: null, error: describeNetworkError(error, HEALTH_TIMEOUT_MS) };
  }
}
