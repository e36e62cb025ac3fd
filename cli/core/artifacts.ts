/**
 * Reports trt writes under `artifacts/` (git-ignored): one stamped name per run and kind, so
 * runs never overwrite each other and sort by time in a directory listing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `2026-11-23T13-53-50-544Z`: an ISO time that is a valid file name everywhere. */
export function fileStamp(isoTime: string): string {
  return isoTime.replace(/[:.]/g, '-');
}

/** Writes `<name>-<stamp>.<ext>` for each file into `directory` (created when missing); returns the paths. */
export function writeArtifacts(directory: string, name: string, isoTime: string, files: readonly { ext: string; content: string }[]): string[] {
  mkdirSync(directory, { recursive: true });
  const stamp = fileStamp(isoTime);
  return files.map(({ ext, content }) => {
    const path = join(directory, `${name}-${stamp}.${ext}`);
    writeFileSync(path, content);
    return path;
  });
}
