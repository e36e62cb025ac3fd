/**
 * Runs scans on the main thread or across worker threads, depending on how much there is to do.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RULES } from '../rules/index.js';
import { loadTypeScript } from './typescript.js';
import { partition, processBatch, type WorkItem, type WorkResult, type WorkSetup } from './work.js';

/**
 * Below this many files, starting workers costs more than it saves: each one loads TypeScript and
 * warms up for over a second, measured by `npm run bench` on 2 cores (bench/README.md).
 */
const WORKER_THRESHOLD = 5000;

export interface PoolOptions {
  /** Worker threads to use; 0 scans on the main thread. Default: one per core for large batches. */
  workers?: number;
}

export async function runScans(setup: WorkSetup, items: readonly WorkItem[], options: PoolOptions = {}): Promise<WorkResult[]> {
  if (items.length === 0) return [];
  const workers = options.workers ?? (items.length >= WORKER_THRESHOLD ? availableParallelism() : 0);
  if (workers <= 0) {
    return processBatch(loadTypeScript(), RULES, setup, items);
  }
  const workerUrl = new URL('./worker.js', import.meta.url);
  const shares = partition(items, workers);
  const results = await Promise.all(shares.map((share) => runWorker(workerUrl, setup, share)));
  return results.flat();
}

function runWorker(url: URL, setup: WorkSetup, items: WorkItem[]): Promise<WorkResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: { setup, items } });
    let settled = false;
    worker.once('message', (results: WorkResult[]) => {
      settled = true;
      resolve(results);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`a verify worker exited with code ${code} before reporting`));
    });
  });
}
