/**
 * Deploys on the Render emulator. A deploy's status is worked out from the time it was created
 * (no timers to stop): it advances one step every `stepDelayMs` through the statuses Render shows
 * on the way to its final status, and a live deploy turns `deactivated` once a newer deploy of the
 * same service goes live, as on Render.
 */
import { randomBytes } from 'node:crypto';

export const DEPLOY_STATUSES = [
  'created',
  'queued',
  'build_in_progress',
  'update_in_progress',
  'live',
  'deactivated',
  'build_failed',
  'update_failed',
  'canceled',
  'pre_deploy_in_progress',
  'pre_deploy_failed',
] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

export const FINAL_STATUSES = ['live', 'build_failed', 'update_failed', 'pre_deploy_failed', 'canceled'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** What the steps after the first are, by final status. */
const PATHS: Record<FinalStatus, DeployStatus[]> = {
  live: ['build_in_progress', 'update_in_progress', 'live'],
  build_failed: ['build_in_progress', 'build_failed'],
  update_failed: ['build_in_progress', 'update_in_progress', 'update_failed'],
  pre_deploy_failed: ['build_in_progress', 'pre_deploy_in_progress', 'pre_deploy_failed'],
  canceled: ['build_in_progress', 'canceled'],
};

/** How the next deploys play out. */
export interface DeployBehaviour {
  /** `created`: the trigger answers 201 with the deploy; `queue`: 202 with no body, the deploy starts `queued`. */
  mode: 'created' | 'queue';
  /** Time between two statuses. */
  stepDelayMs: number;
  finalStatus: FinalStatus;
}

export const DEFAULT_DEPLOY_BEHAVIOUR: DeployBehaviour = { mode: 'created', stepDelayMs: 100, finalStatus: 'live' };
const BEHAVIOUR_FIELDS = ['mode', 'stepDelayMs', 'finalStatus'] as const;

/** A deploy as the API shows it. */
export interface RenderDeploy {
  id: string;
  /** Only the commit id the trigger named: the emulator knows no repository. */
  commit?: { id: string };
  status: DeployStatus;
  trigger: 'api';
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface DeployEntry {
  id: string;
  serviceId: string;
  commitId: string | null;
  createdMs: number;
  statuses: DeployStatus[];
  stepDelayMs: number;
}

export class DeployStore {
  private readonly entries: DeployEntry[] = [];

  create(serviceId: string, commitId: string | null, behaviour: DeployBehaviour, nowMs: number): RenderDeploy {
    const entry: DeployEntry = {
      id: `dep-${randomBytes(10).toString('hex')}`,
      serviceId,
      commitId,
      createdMs: nowMs,
      statuses: [behaviour.mode === 'queue' ? 'queued' : 'created', ...PATHS[behaviour.finalStatus]],
      stepDelayMs: behaviour.stepDelayMs,
    };
    this.entries.push(entry);
    return this.view(entry, nowMs);
  }

  get(serviceId: string, deployId: string, nowMs: number): RenderDeploy | undefined {
    const entry = this.entries.find((candidate) => candidate.id === deployId && candidate.serviceId === serviceId);
    return entry && this.view(entry, nowMs);
  }

  /** The service's deploys, newest first. */
  list(serviceId: string, nowMs: number): RenderDeploy[] {
    return this.entries
      .filter((entry) => entry.serviceId === serviceId)
      .reverse()
      .map((entry) => this.view(entry, nowMs));
  }

  all(nowMs: number): (RenderDeploy & { serviceId: string })[] {
    return this.entries.map((entry) => ({ serviceId: entry.serviceId, ...this.view(entry, nowMs) }));
  }

  clear(): void {
    this.entries.length = 0;
  }

  private view(entry: DeployEntry, nowMs: number): RenderDeploy {
    const last = entry.statuses.length - 1;
    const step = entry.stepDelayMs === 0 ? last : Math.min(last, Math.floor((nowMs - entry.createdMs) / entry.stepDelayMs));
    const changedMs = entry.createdMs + step * entry.stepDelayMs;
    const finishedMs = step === last ? changedMs : null;
    const deactivatedMs = entry.statuses[step] === 'live' ? this.replacedAt(entry, nowMs) : null;
    return {
      id: entry.id,
      ...(entry.commitId === null ? {} : { commit: { id: entry.commitId } }),
      status: deactivatedMs === null ? entry.statuses[step]! : 'deactivated',
      trigger: 'api',
      createdAt: new Date(entry.createdMs).toISOString(),
      updatedAt: new Date(deactivatedMs ?? changedMs).toISOString(),
      finishedAt: finishedMs === null ? null : new Date(finishedMs).toISOString(),
    };
  }

  /** When another deploy of the same service went live after this one did, if one has by `nowMs`. */
  private replacedAt(entry: DeployEntry, nowMs: number): number | null {
    const ownLiveMs = liveAt(entry);
    const later = this.entries
      .filter((other) => other !== entry && other.serviceId === entry.serviceId)
      .map((other) => ({ liveMs: liveAt(other), newer: this.entries.indexOf(other) > this.entries.indexOf(entry) }))
      .filter(({ liveMs, newer }) => liveMs !== null && ownLiveMs !== null && liveMs <= nowMs && (liveMs > ownLiveMs || (liveMs === ownLiveMs && newer)))
      .map(({ liveMs }) => liveMs!);
    return later.length === 0 ? null : Math.min(...later);
  }
}

/** When the deploy reaches `live`; null when it never does. */
function liveAt(entry: DeployEntry): number | null {
  return entry.statuses.at(-1) === 'live' ? entry.createdMs + (entry.statuses.length - 1) * entry.stepDelayMs : null;
}

/** Every problem with a (partial) deploy behaviour, so one round trip fixes them all. */
export function deployBehaviourProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ['expected an object like {"mode":"queue","stepDelayMs":50,"finalStatus":"build_failed"}'];
  }
  const behaviour = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(behaviour)) {
    if (!(BEHAVIOUR_FIELDS as readonly string[]).includes(key)) problems.push(`unknown field "${key}"; the fields are ${BEHAVIOUR_FIELDS.join(', ')}`);
  }
  const { mode, stepDelayMs, finalStatus } = behaviour;
  if (mode !== undefined && mode !== 'created' && mode !== 'queue') problems.push(`mode must be "created" or "queue", got ${JSON.stringify(mode)}`);
  if (stepDelayMs !== undefined && (!Number.isInteger(stepDelayMs) || (stepDelayMs as number) < 0)) {
    problems.push(`stepDelayMs must be a whole number of milliseconds ≥ 0, got ${JSON.stringify(stepDelayMs)}`);
  }
  if (finalStatus !== undefined && !(FINAL_STATUSES as readonly unknown[]).includes(finalStatus)) {
    problems.push(`finalStatus must be one of ${FINAL_STATUSES.join(', ')}, got ${JSON.stringify(finalStatus)}`);
  }
  return problems;
}
