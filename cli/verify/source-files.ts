/**
 * Which files `trt verify` reads: the walk of the root, with the folders no gate should look
 * into pruned early, and the globs of `verify.include` / `verify.exclude` applied.
 */
import { readdirSync } from 'node:fs';
import picomatch from 'picomatch';

/** Extensions of the source files the code rules check (SPEC §4, plus `.jsx`). */
const SOURCE_FILE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/** Folders never walked: dependencies, build output, reports, VCS data. */
const PRUNED_FOLDERS = new Set(['node_modules', 'dist', 'artifacts', 'coverage', '.git']);

export function isSourceFile(path: string): boolean {
  return SOURCE_FILE.test(path);
}

/** Every file under the root (any kind), relative with forward slashes, sorted. */
export function walkFiles(root: string): string[] {
  const files: string[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(folder ? `${root}/${folder}` : root, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!PRUNED_FOLDERS.has(entry.name)) pending.push(path);
      } else if (entry.isFile()) {
        files.push(path);
      }
    }
  }
  return files.sort();
}

export interface FileSelection {
  include?: readonly string[];
  exclude?: readonly string[];
  /** The quarantine folder, relative to the root. */
  quarantine?: string;
}

/** A predicate telling whether a relative path lies inside the quarantine folder. */
export function quarantineMatcher(quarantine: string | undefined): (file: string) => boolean {
  if (!quarantine) return () => false;
  const folder = quarantine.replace(/^\.\//, '').replace(/\/+$/, '');
  return (file) => file === folder || file.startsWith(`${folder}/`);
}

/** The source files the code rules see: not excluded, not quarantined, matching `include`. */
export function selectSourceFiles(allFiles: readonly string[], selection: FileSelection): string[] {
  const included = selection.include?.length ? picomatch(selection.include as string[], { dot: true }) : () => true;
  const excluded = selection.exclude?.length ? picomatch(selection.exclude as string[], { dot: true }) : () => false;
  const quarantined = quarantineMatcher(selection.quarantine);
  return allFiles.filter((file) => isSourceFile(file) && !quarantined(file) && included(file) && !excluded(file));
}
