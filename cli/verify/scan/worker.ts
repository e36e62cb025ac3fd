/**
 * Worker-thread entry: scans its share of the files and posts the results back. Loading
 * TypeScript costs most of a second, so only runs with enough work start workers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type TS from 'typescript';
import { RULES } from '../rules/index.js';
import { processBatch, type WorkItem, type WorkSetup } from './work.js';

// require() skips the ESM loader's export scan of TypeScript's 9 MB file: about half its load time.
const ts = createRequire(import.meta.url)('typescript') as typeof TS;
const { setup, items } = workerData as { setup: WorkSetup; items: WorkItem[] };
parentPort!.postMessage(processBatch(ts, RULES, setup, items));
