/**
 * TypeScript, loaded only when a file must be parsed: a run answered from the cache never pays
 * for it. Its 9 MB of code take a quarter of a second to compile; V8's compiled code of it (the
 * parser's functions included, once a run has used them) is kept in the tool cache and handed
 * back to V8 on the next load, which then compiles almost nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { toolCacheFile, writeFileAtomically } from '../../core/tool-cache.js';
import type { TypeScript } from '../rule.js';

let loaded: { ts: TypeScript; script: Script; codeCache: string; fresh: boolean } | undefined;

export function loadTypeScript(): TypeScript {
  if (loaded) return loaded.ts;
  const require = createRequire(import.meta.url);
  const file = require.resolve('typescript');
  const { version } = require('typescript/package.json') as { version: string };
  const codeCache = toolCacheFile(`v8/typescript-${version}-node-${process.version}-${process.arch}.bin`);
  const cachedData = existsSync(codeCache) ? readFileSync(codeCache) : undefined;
  // The module wrapper require() would put around it: same scope, same globals.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as TypeScript };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  loaded = { ts: module.exports, script, codeCache, fresh: !cachedData || script.cachedDataRejected === true };
  return loaded.ts;
}

/** After a run has parsed files: keeps V8's compiled code of TypeScript when none was kept yet (or it was refused). */
export function keepCompiledTypeScript(): void {
  if (!loaded?.fresh) return;
  loaded.fresh = false;
  writeFileAtomically(loaded.codeCache, loaded.script.createCachedData());
}
