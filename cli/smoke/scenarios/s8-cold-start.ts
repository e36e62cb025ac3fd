/**
 * S8 (only with --spawn "CMD"): starts the service the way the platform does, measures the time
 * from spawn to a healthy /health (200, status not "error"), then stops it with SIGTERM. The
 * command learns its port from PORT; everything else comes from trt's own environment.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cut, round, type SmokeContext } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';
import { freePort } from '../../core/free-port.js';
import { spawnService, type SpawnedService } from '../spawn.js';

const POLL_EVERY_MS = 100;
/** A platform sends SIGKILL this long after SIGTERM (Render: 30 s); we are less patient. */
const STOP_GRACE_MS = 15_000;

export const s8ColdStart: Scenario = {
  id: 'S8',
  title: 'cold start',
  needs: ['spawn'],
  plan: (settings) => [
    { method: 'GET', target: 'spawned', path: '/health', times: Math.ceil((settings.thresholds.S8.healthyWithinS * 1000) / POLL_EVERY_MS), note: `poll the spawned "${settings.spawnCommand ?? ''}" every ${POLL_EVERY_MS} ms until healthy, then SIGTERM` },
  ],
  async run(context) {
    const limitS = context.settings.thresholds.S8.healthyWithinS;
    const port = await freePort();
    const started = performance.now();
    const service = spawnService(context.settings.spawnCommand!, port);
    let probe: Probe;
    try {
      probe = await waitUntilHealthy(context, service, `http://127.0.0.1:${port}/health`, started, limitS * 1000);
    } catch (error) {
      await service.stop(STOP_GRACE_MS);
      throw error;
    }
    const stopped = await service.stop(STOP_GRACE_MS);
    const { coldStartMs, polls, last, body: healthBody } = probe;
    const evidence: Record<string, unknown> = {
      command: context.settings.spawnCommand,
      port,
      limit_s: limitS,
      polls,
      cold_start_ms: coldStartMs === null ? null : round(coldStartMs),
      stopped: { by: stopped.by, exit_code: stopped.exit.code, signal: stopped.exit.signal, stop_ms: round(stopped.stopMs) },
    };
    if (coldStartMs === null) {
      const exited = stopped.by === 'already-exited' ? `the process exited (code ${String(stopped.exit.code)}) before /health was healthy` : `/health was not healthy within ${limitS} s (last: ${cut(last, 160)})`;
      return fail(exited, { ...evidence, output: service.outputTail() });
    }
    evidence.health = healthBody;
    if (coldStartMs > limitS * 1000) return fail(`healthy after ${round(coldStartMs / 1000)} s, over the ${limitS} s limit`, evidence);
    if (stopped.by === 'SIGKILL') return fail(`healthy in ${round(coldStartMs)} ms, but it ignored SIGTERM for ${STOP_GRACE_MS / 1000} s and had to be killed`, { ...evidence, output: service.outputTail() });
    return pass(`healthy ${round(coldStartMs)} ms after spawn (limit ${limitS} s); stopped by SIGTERM in ${round(stopped.stopMs)} ms`, evidence);
  },
};

interface Probe {
  coldStartMs: number | null;
  polls: number;
  last: string;
  body: unknown;
}

async function waitUntilHealthy(context: SmokeContext, service: SpawnedService, url: string, started: number, limitMs: number): Promise<Probe> {
  let polls = 0;
  let last = 'no answer yet';
  while (performance.now() - started < limitMs && !service.exit) {
    polls++;
    try {
      const response = await context.http.send({ method: 'GET', url, timeoutMs: 1000, probe: true });
      const status = (response.json as { status?: unknown } | undefined)?.status;
      if (response.status === 200 && status !== 'error') return { coldStartMs: performance.now() - started, polls, last: 'healthy', body: response.json };
      last = `/health answered ${response.status}${typeof status === 'string' ? ` with status "${status}"` : ''}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(POLL_EVERY_MS);
  }
  return { coldStartMs: null, polls, last, body: null };
}
