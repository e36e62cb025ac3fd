/**
 * What trt compiles once per machine and keeps beside its own install, in
 * `<trt>/node_modules/.cache/trt/`: the schema validators ajv generates, and V8's compiled code of
 * TypeScript. Each file is named by everything it depends on (contents, versions), so a stale one
 * is never used; deleting the folder is always safe, and an unwritable one only costs speed.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { packageFile } from './package-root.js';

export function toolCacheFile(name: string): string {
  return packageFile(`node_modules/.cache/trt/${name}`);
}

/**
 * Writes through a temporary file and a rename, so a reader never sees half a file; best effort:
 * false when the folder cannot be written.
 */
export function writeFileAtomically(path: string, data: string | NodeJS.ArrayBufferView): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, data);
    renameSync(temporary, path);
    return true;
  } catch {
    return false;
  }
}
