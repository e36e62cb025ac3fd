/**
 * Import resolution with TypeScript's own algorithm (`ts.resolveModuleName`: relative paths,
 * index files, `.js`→`.ts` ESM specifiers, tsconfig `baseUrl`/`paths`, package `exports`), over
 * the file list the engine already walked: existence checks are set look-ups, not system calls,
 * and node_modules is never searched because a package import is simply "external".
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import type TS from 'typescript';
import type { ImportRef, Resolution } from '../graph.js';
import type { TypeScript } from '../rule.js';
import { isSourceFile } from '../source-files.js';

export interface ResolverSetup {
  /** Absolute root, forward slashes. */
  root: string;
  /** Every file under the root (any extension), relative, forward slashes. */
  allFiles: readonly string[];
  /** Absolute path of tsconfig.json / jsconfig.json, when the root has one. */
  tsconfigPath?: string;
}

/** `./x.js`, `../a/b.mjs`: a relative specifier of a script, nothing TypeScript would read differently. */
const RELATIVE_SCRIPT = /^\.\.?\/[^\\?#]*[^/\\?#]\.[cm]?js$/;
const SCRIPT_EXTENSION = /\.[cm]?js$/;
/** The TypeScript extension tsc tries first for each script extension. */
const TYPESCRIPT_EXTENSION: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };

export type ResolveImports = (file: string, imports: readonly ImportRef[]) => Resolution[];

export function createResolver(ts: TypeScript, setup: ResolverSetup): ResolveImports {
  const rootPrefix = setup.root.endsWith('/') ? setup.root : `${setup.root}/`;
  const files = new Set(setup.allFiles);
  const folders = new Set<string>(['']);
  for (const file of setup.allFiles) {
    for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
      const folder = file.slice(0, slash);
      if (folders.has(folder)) break;
      folders.add(folder);
    }
  }
  const relative = (absolute: string): string | undefined => {
    const normalized = absolute.replace(/\\/g, '/');
    if (normalized === setup.root) return '';
    if (!normalized.startsWith(rootPrefix)) return undefined;
    const rel = normalized.slice(rootPrefix.length);
    return rel.split('/').includes('node_modules') ? undefined : rel;
  };

  const host: TS.ModuleResolutionHost = {
    fileExists: (path) => {
      const rel = relative(path);
      return rel !== undefined && files.has(rel);
    },
    directoryExists: (path) => {
      const rel = relative(path);
      return rel !== undefined && folders.has(rel);
    },
    readFile: (path) => {
      const rel = relative(path);
      if (rel === undefined || !files.has(rel)) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    realpath: (path) => path,
    getCurrentDirectory: () => setup.root,
  };

  const options = compilerOptions(ts, setup.tsconfigPath);
  const cache = ts.createModuleResolutionCache(setup.root, (name) => name, options);
  const mappings = pathMappings(options, setup.tsconfigPath);
  const baseUrl = options.baseUrl === undefined ? undefined : relative(options.baseUrl);

  // Without rootDirs or moduleSuffixes to try first, TypeScript resolves a relative `./x.js` to
  // `./x.ts` whenever that file exists (then .tsx, .d.ts, .js): the usual import of an ESM
  // TypeScript project, answered here by one set look-up instead of the whole algorithm.
  const siblingFirst = !options.rootDirs?.length && !options.moduleSuffixes?.length;
  const typeScriptSibling = (file: string, specifier: string): string | undefined => {
    if (!siblingFirst || !RELATIVE_SCRIPT.test(specifier)) return undefined;
    const target = joinRelative(file, specifier)?.replace(SCRIPT_EXTENSION, (extension) => TYPESCRIPT_EXTENSION[extension]!);
    return target !== undefined && files.has(target) ? target : undefined;
  };

  // node_modules is never walked, so a bare specifier resolves the same way from every folder
  // of one package scope: through `paths`, `baseUrl`, or the scope's own package.json (its
  // name, `exports` and `imports`). Resolved once per scope, not once per importing file.
  const scopeOfFolder = new Map<string, string>();
  const packageScope = (folder: string): string => {
    let scope = scopeOfFolder.get(folder);
    if (scope === undefined) {
      const own = folder === '' ? 'package.json' : `${folder}/package.json`;
      scope = files.has(own) || folder === '' ? folder : packageScope(posix.dirname(folder) === '.' ? '' : posix.dirname(folder));
      scopeOfFolder.set(folder, scope);
    }
    return scope;
  };
  const bareResolutions = new Map<string, Resolution>();

  const resolveOne = (file: string, specifier: string): Resolution => {
    const containing = `${rootPrefix}${file}`;
    const { resolvedModule } = ts.resolveModuleName(specifier, containing, options, host, cache);
    if (resolvedModule && !resolvedModule.isExternalLibraryImport) {
      const target = relative(resolvedModule.resolvedFileName);
      if (target !== undefined && files.has(target)) return isSourceFile(target) ? { kind: 'local', target } : { kind: 'asset', target };
    }
    if (resolvedModule) return { kind: 'external' };
    return classifyUnresolved(file, specifier);
  };

  return (file, imports) =>
    imports.map(({ specifier }): Resolution => {
      const sibling = typeScriptSibling(file, specifier);
      if (sibling !== undefined) return { kind: 'local', target: sibling };
      if (ts.isExternalModuleNameRelative(specifier)) return resolveOne(file, specifier);
      const slash = file.lastIndexOf('/');
      const key = `${packageScope(slash < 0 ? '' : file.slice(0, slash))}\0${specifier}`;
      let resolution = bareResolutions.get(key);
      if (!resolution) {
        resolution = resolveOne(file, specifier);
        bareResolutions.set(key, resolution);
      }
      return resolution;
    });

  /**
   * A specifier TypeScript could not resolve is the repository's own (`unresolved`, with the path
   * it points at) when it is relative, matches a tsconfig `paths` pattern, or starts with a folder
   * under `baseUrl`; anything else is taken for a package that is not installed (`external`).
   */
  function classifyUnresolved(file: string, specifier: string): Resolution {
    if (specifier.startsWith('.') || specifier.startsWith('/')) {
      const target = specifier.startsWith('/') ? relative(specifier) : posix.normalize(posix.join(posix.dirname(file), specifier));
      if (target === undefined || target.startsWith('../')) return { kind: 'external' };
      return files.has(target) ? { kind: 'asset', target } : { kind: 'unresolved', target };
    }
    const mapping = bestMapping(mappings, specifier);
    if (mapping) {
      const target = mapping.substitution === undefined ? undefined : relative(mapping.substitution);
      return target === undefined ? { kind: 'unresolved' } : { kind: 'unresolved', target };
    }
    if (baseUrl !== undefined) {
      const firstFolder = posix.join(baseUrl, specifier.split('/')[0]!);
      if (folders.has(firstFolder)) return { kind: 'unresolved', target: posix.join(baseUrl, specifier) };
    }
    return { kind: 'external' };
  }
}

/**
 * `src/a/b.ts` + `../c/d.js` → `src/c/d.js`: a relative specifier joined to the importing file's
 * folder; undefined when it leaves the root. The specifier has no `//`, `\\` or trailing `/`
 * ({@link RELATIVE_SCRIPT}), so a split on `/` is all `path.posix.join` would do.
 */
function joinRelative(file: string, specifier: string): string | undefined {
  const parts = file.split('/');
  parts.pop();
  for (const part of specifier.split('/')) {
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else if (part !== '.' && part !== '') {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** The compiler options that matter for resolution, following `extends` the way tsc does. */
function compilerOptions(ts: TypeScript, tsconfigPath: string | undefined): TS.CompilerOptions {
  const defaults: TS.CompilerOptions = {
    allowJs: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    resolveJsonModule: true,
  };
  if (!tsconfigPath || !existsSync(tsconfigPath)) return defaults;
  const { config } = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (!config) return defaults;
  // readDirectory is stubbed: only options are needed, not tsc's own file list (slow on big trees).
  const parseHost: TS.ParseConfigHost = { ...ts.sys, readDirectory: () => [] };
  const parsed = ts.parseJsonConfigFileContent(config, parseHost, dirname(tsconfigPath), undefined, tsconfigPath);
  return { ...parsed.options, allowJs: true, resolveJsonModule: true, noEmit: true };
}

interface PathMapping {
  prefix: string;
  /** Undefined for an exact pattern (no `*`). */
  suffix: string | undefined;
  /** The first substitution, absolute, with `*` still in it. */
  firstSubstitution: string | undefined;
}

/** tsconfig `paths`, with substitutions made absolute the way tsc does (against `baseUrl`, else the declaring config's folder). */
function pathMappings(options: TS.CompilerOptions, tsconfigPath: string | undefined): PathMapping[] {
  // pathsBasePath is internal: the folder of the config (maybe an extended one) that declared `paths`.
  const pathsBase = options.baseUrl ?? (options as { pathsBasePath?: string }).pathsBasePath ?? (tsconfigPath ? dirname(tsconfigPath) : undefined);
  return Object.entries(options.paths ?? {}).map(([pattern, substitutions]) => {
    const star = pattern.indexOf('*');
    const first = substitutions[0];
    return {
      prefix: star < 0 ? pattern : pattern.slice(0, star),
      suffix: star < 0 ? undefined : pattern.slice(star + 1),
      firstSubstitution: first === undefined || pathsBase === undefined ? undefined : posix.join(pathsBase.replace(/\\/g, '/'), first),
    };
  });
}

/** The mapping tsc would use: an exact pattern, else the matching pattern with the longest prefix; with its first substitution applied. */
function bestMapping(mappings: readonly PathMapping[], specifier: string): { substitution: string | undefined } | undefined {
  const exact = mappings.find((mapping) => mapping.suffix === undefined && mapping.prefix === specifier);
  if (exact) return { substitution: exact.firstSubstitution };
  let best: PathMapping | undefined;
  for (const mapping of mappings) {
    const { prefix, suffix } = mapping;
    if (suffix === undefined || specifier.length < prefix.length + suffix.length || !specifier.startsWith(prefix) || !specifier.endsWith(suffix)) continue;
    if (!best || prefix.length > best.prefix.length) best = mapping;
  }
  if (!best) return undefined;
  const matched = specifier.slice(best.prefix.length, specifier.length - best.suffix!.length);
  return { substitution: best.firstSubstitution?.replace('*', matched) };
}
