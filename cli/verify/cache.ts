/**
 * The per-file cache that makes a re-run cheap: each file's scan (imports, findings, facts) is
 * kept by content hash, and its import resolutions by the hash of the file list and tsconfig. A
 * file whose size and modification time are those recorded with its hash is not read again.
 * Lives in `<root>/node_modules/.cache/trt/` like other tools' caches; deleting it is always safe.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentHash } from '../core/digest.js';
import { writeFileAtomically } from '../core/tool-cache.js';
import type { Resolution } from './graph.js';
import type { FileScan } from './scan/scan-file.js';

const CACHE_FORMAT = 2;

/**
 * How much older than the run that recorded it a file must be for its size and modification time
 * to stand for its content: a file written while that run read it, within the clock tick of a
 * coarse file system (2 s on FAT), could otherwise keep both and hide its new content.
 */
const RACY_WINDOW_MS = 2000;

export interface CacheEntry {
  hash: string;
  /** The file's modification time and size when `hash` was taken; -1 when it could not be read. */
  mtimeMs: number;
  size: number;
  scan: FileScan;
  resolutions?: Resolution[];
  /** Facts described on demand (Rule.onDemand), by rule id; null when the file has none. */
  described?: Record<string, unknown>;
}

/** The cache file as stored, before it is checked against this run's configuration. */
export interface StoredCache {
  format?: number;
  config?: string;
  resolution?: string;
  /** The truth file's digest once it passed its schema (core/yaml-schema.ts). */
  truthDigest?: string;
  /** Entries whose modification time is earlier than this are taken on their size and time. */
  statsTrustedBefore?: number;
  entries?: Record<string, CacheEntry>;
}

export interface VerifyCache {
  /** Entries valid for this configuration, by file; stale ones are already dropped. */
  entries: Map<string, CacheEntry>;
  /** True when the stored resolutions were made for the same file list and tsconfig. */
  resolutionsValid: boolean;
  /** See {@link StoredCache.statsTrustedBefore}; 0 trusts nothing. */
  statsTrustedBefore: number;
}

export interface CacheKeys {
  /** Changes when trt, the truth file or anything else that shapes a scan changes. */
  config: string;
  /** Changes when a file is added or removed, or the tsconfig changes. */
  resolution: string;
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

/** The stored cache, or undefined when there is none or it is unreadable (deleting it is always safe). */
export function readStoredCache(path: string): StoredCache | undefined {
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredCache;
    return stored.format === CACHE_FORMAT ? stored : undefined;
  } catch {
    return undefined;
  }
}

/** The part of a stored cache that is valid for this run's configuration. */
export function openCache(stored: StoredCache | undefined, keys: CacheKeys): VerifyCache {
  if (!stored || stored.config !== keys.config || !stored.entries) return { entries: new Map(), resolutionsValid: false, statsTrustedBefore: 0 };
  return {
    entries: new Map(Object.entries(stored.entries)),
    resolutionsValid: stored.resolution === keys.resolution,
    statsTrustedBefore: stored.statsTrustedBefore ?? 0,
  };
}

/** Whether a file's current size and modification time show it unchanged since its entry was made. */
export function unchangedSince(entry: CacheEntry, stat: { mtimeMs: number; size: number } | undefined, cache: VerifyCache): boolean {
  return !!stat && entry.mtimeMs >= 0 && stat.mtimeMs === entry.mtimeMs && stat.size === entry.size && stat.mtimeMs < cache.statsTrustedBefore;
}

/**
 * Whether storing an entry again with a fresh size and time would spare the next run reading the
 * file: its stamp changed (a touch, a checkout), or it was too recent to trust and no longer is.
 */
export function worthRestamping(entry: CacheEntry, stamp: { mtimeMs: number; size: number }, readStartedAt: number): boolean {
  if (stamp.mtimeMs < 0) return false;
  return stamp.mtimeMs !== entry.mtimeMs || stamp.size !== entry.size || stamp.mtimeMs < readStartedAt - RACY_WINDOW_MS;
}

/** What {@link writeCache} stores besides the entries. */
export interface CacheRun {
  keys: CacheKeys;
  truthDigest: string;
  /** When this run started reading files (`Date.now()`). */
  readStartedAt: number;
}

/** Best effort: a read-only checkout still verifies, it just does not get faster. */
export function writeCache(path: string, run: CacheRun, entries: ReadonlyMap<string, CacheEntry>): void {
  const stored: StoredCache = {
    format: CACHE_FORMAT,
    config: run.keys.config,
    resolution: run.keys.resolution,
    truthDigest: run.truthDigest,
    statsTrustedBefore: run.readStartedAt - RACY_WINDOW_MS,
    entries: Object.fromEntries(entries),
  };
  writeFileAtomically(path, JSON.stringify(stored));
}
