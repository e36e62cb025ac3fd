/**
 * The contract of a `trt verify` rule: one module in `cli/verify/rules/<rule-id>.ts`.
 *
 * A rule has two optional parts, so that the expensive part can be cached and parallelised:
 *
 * - `scanFile(ctx)` runs once per source file, on its syntax tree, inside a worker thread. What
 *   it reports and records depends only on the file's text and the configuration, so the engine
 *   caches it by content hash: an unchanged file is never parsed again.
 * - `check(ctx)` runs once per verify, on the main thread, over the whole repository: the
 *   import graph, the files on disk, the facts `scanFile` recorded, and truth.yaml.
 * - `onDemand` describes the files other files' facts lead to (the text builder an HTML send
 *   calls, the helper a /health handler returns): only those, instead of every file of the
 *   repository, and cached by content hash like the scans.
 *
 * Rules report, they never throw: a rule that cannot decide says so in a finding.
 *
 * @example
 * ```ts
 * export default defineRule({
 *   id: 'no-wildcard-imports',
 *   description: 'Wildcard imports and re-exports hide what a module depends on.',
 *   defaultSeverity: 'error',
 *   optionsSchema: { type: 'object', properties: { allow: { type: 'array', items: { type: 'string' } } } },
 *   defaultOptions: { allow: [] },
 *   prefilter: /\*\s*(as|from)/,
 *   scanFile(ctx) { ... ctx.report({ node, message, fix }) ... },
 * });
 * ```
 */
import type TS from 'typescript';
import type { LoadedTruth, Severity, Truth } from '../core/truth.js';
import type { ImportGraph } from './graph.js';

export type TypeScript = typeof TS;

/** Where a finding points inside the file being scanned. */
export type FileLocation = { node: TS.Node } | { pos: number } | { line: number; column: number };

export type FileReport = FileLocation & { message: string; fix?: string };

export interface FileScanContext<Options, Fact> {
  /** Path relative to the root, forward slashes. */
  readonly file: string;
  readonly text: string;
  /** Parsed with parent pointers set (JSDoc is not parsed). */
  readonly sourceFile: TS.SourceFile;
  /** The TypeScript module; rules import only its types so that warm runs never load it. */
  readonly ts: TypeScript;
  readonly truth: Truth;
  readonly options: Options;
  report(finding: FileReport): void;
  /** Keeps a JSON-serialisable fact for this rule's `check()`. */
  record(fact: Fact): void;
  /** 1-based line and column of a node's first token (or of a text offset). */
  position(at: TS.Node | number): { line: number; column: number };
}

/** What {@link OnDemand.describe} sees of a file: a scan's context without reporting or recording. */
export type FileDescribeContext<Options> = Omit<FileScanContext<Options, never>, 'report' | 'record'>;

/**
 * Facts that matter only when another file points at this one. `scanFile` records the facts of
 * the files that start a chain (the sends, the routes); the engine then follows, through the
 * import graph, the specifiers `seeds` names in those facts, and every `specifier` string in the
 * facts of each file it reaches ({@link specifiersIn}), calling `describe` for the reached files
 * `scanFile` recorded nothing for. `ctx.facts()` returns both kinds.
 */
export interface OnDemand<Options, Fact> {
  /** The import specifiers a scanned fact starts a chain with; [] when it starts none. */
  seeds(fact: Fact): readonly string[];
  /** The fact of a reached file; undefined when the file has none. */
  describe(ctx: FileDescribeContext<Options>): Fact | undefined;
}

/** Every `specifier` string anywhere in a fact: how facts name the files they lead to. */
export function specifiersIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) specifiersIn(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'specifier' && typeof item === 'string') found.add(item);
      else specifiersIn(item, found);
    }
  }
  return found;
}

export interface RepoReport {
  /** Relative to the root, forward slashes. */
  file: string;
  /** 1-based; 1 when omitted (repository-level findings such as a missing file). */
  line?: number;
  column?: number;
  message: string;
  fix?: string;
  /**
   * Lowers this finding below the rule's configured severity (`'warn'` in a rule that is an
   * error); it never raises it, so a rule configured `warn` only ever warns.
   */
  severity?: Severity;
}

export interface RepoCheckContext<Options, Fact> {
  /** Absolute path of the repository root. */
  readonly root: string;
  readonly truth: Truth;
  /** The truth file's path relative to the root (forward slashes), for findings about it. */
  readonly truthFile: string;
  /** 1-based line in truth.yaml of a JSON path such as `['database', 'lock_key']`. */
  truthLine(path: readonly (string | number)[]): number;
  readonly options: Options;
  /** The source files the code rules see (outside the quarantine, not excluded), sorted. */
  readonly files: readonly string[];
  readonly graph: ImportGraph;
  /** Facts this rule's `scanFile` recorded, and those its `onDemand` described, per file, in file order. */
  facts(): readonly { file: string; fact: Fact }[];
  isQuarantined(file: string): boolean;
  /** Whether a file exists under the root (any kind of file, excluded or not). */
  exists(file: string): boolean;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readText(file: string): string | undefined;
  /** Every file (any extension) under a folder of the root (`''`: the whole root), relative to the root, sorted. */
  listFiles(folder: string): string[];
  report(finding: RepoReport): void;
}

export interface Rule<Options = Record<string, never>, Fact = never> {
  /** Equal to the file name. */
  readonly id: string;
  /** One line: what it finds and why it matters. */
  readonly description: string;
  readonly defaultSeverity: Severity;
  /** JSON Schema of `verify.rules.<id>.options` in truth.yaml. */
  readonly optionsSchema: object;
  readonly defaultOptions: Options;
  /**
   * Files whose text does not match are not given to `scanFile`: a cheap test that spares
   * walking the syntax tree of the files this rule has nothing to say about.
   */
  readonly prefilter?: RegExp;
  scanFile?(ctx: FileScanContext<Options, Fact>): void;
  readonly onDemand?: OnDemand<Options, Fact>;
  check?(ctx: RepoCheckContext<Options, Fact>): void;
}

// The registry holds rules of different option and fact types; those types are private to each rule.
export type AnyRule = Rule<any, any>;

/** Identity function that gives a rule module its types. */
export function defineRule<Options, Fact = never>(rule: Rule<Options, Fact>): Rule<Options, Fact> {
  return rule;
}

/** A rule switched on for this run, with its severity and validated options. */
export interface ActiveRule {
  rule: AnyRule;
  severity: Severity;
  options: unknown;
  /** Files whose findings of this rule are dropped (`verify.rules.<id>.exclude`). */
  excluded: (file: string) => boolean;
}

export type { LoadedTruth };
