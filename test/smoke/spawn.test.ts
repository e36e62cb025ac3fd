/**
 * S8's process handling: the spawned command runs in a process group of its own and is stopped
 * as a platform stops it. "Stopped" means every process of the group is gone — not only the
 * shell, which exits at once while the service it started may still be shutting down — and a
 * service that ignores SIGTERM is killed after the grace period.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../../cli/core/free-port.js';
import { spawnService } from '../../cli/smoke/spawn.js';
import { REPO } from '../cli/run.js';
import { eventually } from '../support/bot.js';

const HEALTH_SERVER = `"${process.execPath}" ${join(REPO, 'test', 'fixtures', 'smoke', 'health-server.mjs')}`;

async function listening(port: number): Promise<void> {
  await eventually(`an answer on port ${port}`, async () => ((await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined), 5000);
}

it('stops a well-behaved service with SIGTERM and waits for the service, not only its shell', async () => {
  const port = await freePort();
  const service = spawnService(HEALTH_SERVER, port);
  await listening(port);
  const stopped = await service.stop(5000);
  expect(stopped.by).toBe('SIGTERM');
  await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
});

it('kills a service that ignores SIGTERM once the grace period is over, leaving nothing behind', async () => {
  const port = await freePort();
  const service = spawnService(`IGNORE_SIGTERM=1 ${HEALTH_SERVER}`, port);
  await listening(port);
  const stopped = await service.stop(300);
  expect(stopped.by).toBe('SIGKILL');
  await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  expect(service.outputTail().join('\n')).toContain('SIGTERM ignored');
});
