/**
 * Worker-thread entry: scans its share of the files and posts the results back. Loading
 * TypeScript costs most of a second, so only runs with enough work start workers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RULES } from '../rules/index.js';
import { keepCompiledTypeScript, loadTypeScript } from './typescript.js';
import { processBatch, type WorkItem, type WorkSetup } from './work.js';

const { setup, items } = workerData as { setup: WorkSetup; items: WorkItem[] };
const results = processBatch(loadTypeScript(), RULES, setup, items);
keepCompiledTypeScript();
parentPort!.postMessage(results);
