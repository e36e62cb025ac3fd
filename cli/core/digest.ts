import { createHash } from 'node:crypto';

/** A short, stable name for some texts together: cache keys, content hashes, fingerprints. */
export function contentHash(...parts: readonly string[]): string {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}
