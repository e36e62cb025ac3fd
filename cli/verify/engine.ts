/**
 * The `trt verify` pipeline: select files → scan (cached, parallel) → import graph → repository
 * checks (describing on demand the files their facts lead to) → severities → baseline. Returns a
 * {@link VerifyResult}; printing is the reporters' job.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type TS from 'typescript';
import { contentHash } from '../core/digest.js';
import { TrtError } from '../core/errors.js';
import { packageVersion } from '../core/package-root.js';
import { loadTruth } from '../core/truth.js';
import { applyBaseline, fingerprintFindings, readBaseline, writeBaseline } from './baseline.js';
import { codeFingerprint, defaultCachePath, openCache, readStoredCache, unchangedSince, worthRestamping, writeCache, type CacheEntry, type CacheKeys } from './cache.js';
import { resolveActiveRules } from './config.js';
import { compareFindings, effectiveSeverity, ENGINE_RULES, ruleFailedOnFile, type Finding, type RawFinding, type VerifyResult } from './finding.js';
import { buildImportGraph } from './graph.js';
import { factsWithDemand } from './on-demand.js';
import type { AnyRule, RepoCheckContext } from './rule.js';
import { RULES } from './rules/index.js';
import { runScans } from './scan/pool.js';
import { describeFile, parseForRules } from './scan/scan-file.js';
import { keepCompiledTypeScript, loadTypeScript } from './scan/typescript.js';
import type { WorkItem } from './scan/work.js';
import { quarantineMatcher, selectSourceFiles, walkFiles } from './source-files.js';

export interface VerifyOptions {
  /** Repository root; default: the current directory. */
  root?: string;
  /** truth.yaml; default: `<root>/product/truth.yaml`. */
  truth?: string;
  /** Only these rule ids (all when empty). */
  rules?: readonly string[];
  baseline?: string;
  /** Write every current finding to the baseline instead of failing on them. */
  updateBaseline?: boolean;
  /** false disables the cache; a string moves it. */
  cache?: boolean | string;
  /** Worker threads (0: main thread only); default: by batch size. */
  workers?: number;
}

/** Default baseline location when `--update-baseline` is given without `--baseline`. */
export const DEFAULT_BASELINE = '.trt-baseline.json';

export async function verify(options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const root = toPosix(resolve(options.root ?? '.'));
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new TrtError('ROOT_NOT_FOUND', `the root ${root} is not a folder`, 'pass an existing folder with --root DIR');
  }
  const truthPath = resolve(options.truth ?? `${root}/product/truth.yaml`);
  const cachePath = typeof options.cache === 'string' ? options.cache : defaultCachePath(root);
  const useCache = options.cache !== false;
  const stored = useCache ? readStoredCache(cachePath) : undefined;
  const loaded = loadTruth(truthPath, stored?.truthDigest ? { validDigest: stored.truthDigest } : {});
  const truth = loaded.truth;
  const allActive = resolveActiveRules(RULES, loaded);
  const active = options.rules?.length ? resolveActiveRules(RULES, loaded, options.rules) : allActive;
  const baseline = options.baseline && !options.updateBaseline ? readBaseline(options.baseline) : undefined;

  const allFiles = walkFiles(root);
  const quarantine = truth.legacy?.quarantine;
  const files = selectSourceFiles(allFiles, { include: truth.verify?.include, exclude: truth.verify?.exclude, quarantine });
  const tsconfigPath = ['tsconfig.json', 'jsconfig.json'].map((name) => `${root}/${name}`).find((path) => existsSync(path));

  const keys: CacheKeys = {
    config: contentHash(packageVersion(), codeFingerprint(), loaded.text, JSON.stringify(allActive.map(({ rule, options: ruleOptions }) => [rule.id, ruleOptions]))),
    resolution: contentHash(allFiles.join('\n'), tsconfigPath ? readFileSync(tsconfigPath, 'utf8') : ''),
  };
  const cache = openCache(stored, keys);

  const readStartedAt = Date.now();
  const entries = new Map<string, CacheEntry>();
  const work: WorkItem[] = [];
  const pending = new Map<string, { hash: string; mtimeMs: number; size: number }>();
  // Entries confirmed by their content after their size or time changed: stored again so that
  // the next run takes them on their size and time.
  let restamped = false;
  for (const file of files) {
    const path = `${root}/${file}`;
    const cached = cache.entries.get(file);
    const stat = statOf(path);
    const reusable = cached && cache.resolutionsValid && cached.resolutions;
    if (reusable && unchangedSince(cached, stat, cache)) {
      entries.set(file, cached);
      continue;
    }
    const text = readSource(path);
    const hash = contentHash(text);
    const stamp = { hash, mtimeMs: stat?.mtimeMs ?? -1, size: stat?.size ?? -1 };
    if (reusable && cached.hash === hash) {
      entries.set(file, { ...cached, ...stamp });
      restamped ||= worthRestamping(cached, stamp, readStartedAt);
    } else {
      work.push({ file, text, ...(cached && cached.hash === hash ? { cachedScan: cached.scan } : {}) });
      pending.set(file, stamp);
    }
  }

  const scanners = allActive.filter(({ rule }) => rule.scanFile).map(({ rule, options: ruleOptions }) => ({ id: rule.id, options: ruleOptions }));
  const results = await runScans({ root, allFiles, ...(tsconfigPath ? { tsconfigPath } : {}), truth, scanners }, work, {
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  });
  for (const result of results) {
    entries.set(result.file, { ...pending.get(result.file)!, scan: result.scan, resolutions: result.resolutions });
  }

  const graph = buildImportGraph(
    files,
    (file) => entries.get(file)?.scan.imports ?? [],
    (file) => entries.get(file)?.resolutions ?? [],
  );

  const wanted = new Set(active.map(({ rule }) => rule.id));
  const raw: RawFinding[] = [];
  for (const file of files) {
    for (const finding of entries.get(file)!.scan.findings) {
      if (wanted.has(finding.rule) || finding.rule === ENGINE_RULES.parseError) raw.push(finding);
    }
  }

  let described = false;
  // Parsed once per run however many rules describe the file (truth-routes and health-contract share a routes barrel).
  const trees = new Map<string, { sourceFile: TS.SourceFile | undefined; hash: string }>();
  const treeOf = (file: string) => {
    let tree = trees.get(file);
    if (!tree) {
      const text = readSource(`${root}/${file}`);
      tree = { sourceFile: parseForRules(loadTypeScript(), file, text), hash: contentHash(text) };
      trees.set(file, tree);
    }
    return tree;
  };
  const describe = (rule: AnyRule, options: unknown, file: string): unknown => {
    const entry = entries.get(file)!;
    const cached = entry.described?.[rule.id];
    if (cached !== undefined) return cached ?? undefined;
    const { sourceFile, hash } = treeOf(file);
    let fact: unknown;
    try {
      fact = sourceFile && describeFile(loadTypeScript(), sourceFile, { rule, options }, truth);
    } catch (error) {
      // As a failing scan does: this file goes undescribed, the rule goes on with the others.
      raw.push({ rule: rule.id, file, line: 1, column: 1, message: ruleFailedOnFile(rule.id, error) });
      return undefined;
    }
    // A file edited since its scan keeps its entry's hash: its fact is used, not stored.
    if (hash === entry.hash) {
      entries.set(file, { ...entry, described: { ...entry.described, [rule.id]: fact ?? null } });
      described = true;
    }
    return fact;
  };

  const isQuarantined = quarantineMatcher(quarantine);
  const fileSet = new Set(allFiles);
  const truthFile = relativeToRoot(root, truthPath);
  for (const { rule, options: ruleOptions } of active) {
    if (!rule.check) continue;
    let ruleFacts: { file: string; fact: unknown }[] | undefined;
    const context: RepoCheckContext<unknown, unknown> = {
      root,
      truth,
      truthFile,
      truthLine: (path) => loaded.lineOf(path),
      options: ruleOptions,
      files,
      graph,
      facts: () =>
        (ruleFacts ??= factsWithDemand({
          rule,
          files,
          graph,
          scanned: (file) => entries.get(file)!.scan.facts[rule.id] ?? [],
          describe: (file) => describe(rule, ruleOptions, file),
        })),
      isQuarantined,
      exists: (file) => fileSet.has(normalizeRelative(file)),
      readText: (file) => (fileSet.has(normalizeRelative(file)) ? readSource(`${root}/${normalizeRelative(file)}`) : undefined),
      listFiles: (folder) => {
        const normalized = normalizeRelative(folder).replace(/\/$/, '');
        if (normalized === '' || normalized === '.') return [...allFiles];
        return allFiles.filter((file) => file.startsWith(`${normalized}/`));
      },
      report: (finding) =>
        raw.push({
          rule: rule.id,
          file: normalizeRelative(finding.file),
          line: finding.line ?? 1,
          column: finding.column ?? 1,
          message: finding.message,
          ...(finding.fix ? { fix: finding.fix } : {}),
          ...(finding.severity ? { severity: finding.severity } : {}),
        }),
    };
    try {
      rule.check(context);
    } catch (error) {
      raw.push({
        rule: rule.id,
        file: truthFile,
        line: 1,
        column: 1,
        message: `Rule ${rule.id} failed (${error instanceof Error ? error.message : String(error)}); it is a trt bug, please report it.`,
      });
    }
  }

  if (useCache && (work.length > 0 || restamped || described || stored?.truthDigest !== loaded.validDigest)) {
    writeCache(cachePath, { keys, truthDigest: loaded.validDigest, readStartedAt }, entries);
  }
  keepCompiledTypeScript();

  const severityOf = new Map(active.map(({ rule, severity }) => [rule.id, severity]));
  const excludedFor = new Map(active.map(({ rule, excluded }) => [rule.id, excluded]));
  const findings: Finding[] = raw
    .filter((finding) => !excludedFor.get(finding.rule)?.(finding.file))
    .sort(compareFindings)
    .map((finding) => ({ ...finding, severity: effectiveSeverity(severityOf.get(finding.rule) ?? 'error', finding.severity) }));

  let reported = findings;
  let baselined = 0;
  if (options.updateBaseline || baseline) {
    const lineText = lineReader(root);
    const fingerprints = fingerprintFindings(findings, lineText);
    if (options.updateBaseline) {
      const target = options.baseline ?? `${root}/${DEFAULT_BASELINE}`;
      writeBaseline(
        target,
        findings.map((finding, index) => ({ rule: finding.rule, file: finding.file, fingerprint: fingerprints[index]!, message: finding.message })),
      );
      reported = [];
      baselined = findings.length;
    } else if (baseline) {
      const { fresh, matched } = applyBaseline(findings, fingerprints, baseline);
      reported = fresh;
      baselined = matched;
    }
  }

  return {
    root,
    findings: reported,
    summary: {
      files: files.length,
      errors: reported.filter((finding) => finding.severity === 'error').length,
      warnings: reported.filter((finding) => finding.severity === 'warn').length,
      durationMs: Math.round(performance.now() - started),
    },
    baselined,
    rules: active.map(({ rule, severity }) => ({ id: rule.id, description: rule.description, severity })),
  };
}

function statOf(path: string): { mtimeMs: number; size: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function lineReader(root: string): (file: string, line: number) => string {
  const lines = new Map<string, string[]>();
  return (file, line) => {
    let fileLines = lines.get(file);
    if (!fileLines) {
      fileLines = readSource(`${root}/${file}`).split(/\r?\n/);
      lines.set(file, fileLines);
    }
    return fileLines[line - 1] ?? '';
  };
}

function toPosix(path: string): string {
  return path.replace(/\\/g, '/');
}

function normalizeRelative(file: string): string {
  return toPosix(file).replace(/^\.\//, '');
}

/** Relative even outside the root (`../shared/truth.yaml`): reports promise root-relative paths. Absolute only across drives. */
function relativeToRoot(root: string, path: string): string {
  const rel = toPosix(relative(root, path));
  return isAbsolute(rel) ? toPosix(path) : rel;
}
