/**
 * TypeScript, loaded only when a file must be parsed: a run answered from the cache never pays
 * for it.
 */
import { createRequire } from 'node:module';
import type { TypeScript } from '../rule.js';

let loaded: TypeScript | undefined;

export function loadTypeScript(): TypeScript {
  // require() skips the ESM loader's export scan of TypeScript's 9 MB file: about half its load time.
  loaded ??= createRequire(import.meta.url)('typescript') as TypeScript;
  return loaded;
}
