/**
 * The per-file cache that makes a re-run cheap: each file's scan (imports, findings, facts) is
 * kept by content hash, and its import resolutions by the hash of the file list and tsconfig.
 * Lives in `<root>/node_modules/.cache/trt/` like other tools' caches; deleting it is always safe.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resolution } from './graph.js';
import type { FileScan } from './scan/scan-file.js';

const CACHE_FORMAT = 1;

export interface CacheEntry {
  hash: string;
  scan: FileScan;
  resolutions?: Resolution[];
}

export interface VerifyCache {
  /** Entries valid for this configuration, by file; stale ones are already dropped. */
  entries: Map<string, CacheEntry>;
  /** True when the stored resolutions were made for the same file list and tsconfig. */
  resolutionsValid: boolean;
}

export interface CacheKeys {
  /** Changes when trt, the truth file or anything else that shapes a scan changes. */
  config: string;
  /** Changes when a file is added or removed, or the tsconfig changes. */
  resolution: string;
}

export function contentHash(...parts: readonly string[]): string {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

let fingerprint: string | undefined;

/**
 * Identifies the verify code that is running (every module under this folder, by size and
 * modification time): a rule changed without a version bump must not be answered from scans its
 * old code made. Stat calls only, a millisecond or two.
 */
export function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const parts: string[] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (/\.[cm]?[jt]s$/.test(entry.name)) {
        const stat = statSync(path);
        parts.push(`${path}:${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  visit(dirname(fileURLToPath(import.meta.url)));
  fingerprint = contentHash(...parts);
  return fingerprint;
}

export function defaultCachePath(root: string): string {
  return join(root, 'node_modules', '.cache', 'trt', 'verify.json');
}

export function readCache(path: string, keys: CacheKeys): VerifyCache {
  const empty: VerifyCache = { entries: new Map(), resolutionsValid: false };
  let stored: { format?: number; config?: string; resolution?: string; entries?: Record<string, CacheEntry> };
  try {
    stored = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return empty;
  }
  if (stored.format !== CACHE_FORMAT || stored.config !== keys.config || !stored.entries) return empty;
  return { entries: new Map(Object.entries(stored.entries)), resolutionsValid: stored.resolution === keys.resolution };
}

/** Best effort: a read-only checkout still verifies, it just does not get faster. */
export function writeCache(path: string, keys: CacheKeys, entries: ReadonlyMap<string, CacheEntry>): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ format: CACHE_FORMAT, config: keys.config, resolution: keys.resolution, entries: Object.fromEntries(entries) }));
    renameSync(temporary, path);
  } catch {
    // An unwritable cache folder only costs speed on the next run.
  }
}
