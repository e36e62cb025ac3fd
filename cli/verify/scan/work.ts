/**
 * Scanning and resolving a batch of files: the same function runs on the main thread for small
 * batches and inside each worker thread for large ones.
 */
import type { Truth } from '../../core/truth.js';
import type { Resolution } from '../graph.js';
import type { AnyRule, TypeScript } from '../rule.js';
import { createResolver, type ResolverSetup } from './resolver.js';
import { scanFile, type FileScan } from './scan-file.js';

export interface WorkSetup extends ResolverSetup {
  truth: Truth;
  /** Rules to run `scanFile` for, by id, with their validated options. */
  scanners: { id: string; options: unknown }[];
}

export interface WorkItem {
  file: string;
  text: string;
  /** A scan still valid from the cache: only the resolutions are missing. */
  cachedScan?: FileScan;
}

export interface WorkResult {
  file: string;
  scan: FileScan;
  resolutions: Resolution[];
}

export function processBatch(ts: TypeScript, registry: readonly AnyRule[], setup: WorkSetup, items: readonly WorkItem[]): WorkResult[] {
  const byId = new Map(registry.map((rule) => [rule.id, rule]));
  const scanners = setup.scanners.flatMap(({ id, options }) => {
    const rule = byId.get(id);
    return rule ? [{ rule, options }] : [];
  });
  const resolve = createResolver(ts, setup);
  return items.map(({ file, text, cachedScan }) => {
    const scan = cachedScan ?? scanFile(ts, file, text, scanners, setup.truth);
    return { file, scan, resolutions: resolve(file, scan.imports) };
  });
}

/** Splits items into `count` shares of about equal text size (largest first, onto the lightest share). */
export function partition(items: readonly WorkItem[], count: number): WorkItem[][] {
  const shares = Array.from({ length: count }, () => ({ size: 0, items: [] as WorkItem[] }));
  const bySize = [...items].sort((a, b) => b.text.length - a.text.length);
  for (const item of bySize) {
    const lightest = shares.reduce((best, share) => (share.size < best.size ? share : best));
    lightest.items.push(item);
    lightest.size += item.text.length + 200;
  }
  return shares.map((share) => share.items).filter((share) => share.length > 0);
}
