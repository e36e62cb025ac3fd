/**
 * The one place `trt init` reads the repository: the file list (walked the way `trt verify`
 * walks it), file texts on demand, and the verify resolver for imports. Everything after this
 * is pure detection over the snapshot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { TypeScript } from '../verify/rule.js';
import { createResolver } from '../verify/scan/resolver.js';
import { walkFiles } from '../verify/source-files.js';
import type { RepoSnapshot } from './detect.js';

export function snapshotOf(ts: TypeScript, rootDir: string): RepoSnapshot {
  const root = resolve(rootDir).replace(/\\/g, '/');
  const files = walkFiles(root);
  const tsconfigPath = ['tsconfig.json', 'jsconfig.json'].map((name) => `${root}/${name}`).find((path) => existsSync(path));
  const resolveImports = createResolver(ts, { root, allFiles: files, ...(tsconfigPath ? { tsconfigPath } : {}) });
  return {
    folderName: basename(root),
    files,
    read: (file) => {
      try {
        return readFileSync(`${root}/${file}`, 'utf8');
      } catch {
        return undefined;
      }
    },
    resolveImports,
  };
}
