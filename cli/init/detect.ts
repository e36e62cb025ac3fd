/**
 * What `trt init` can tell about an existing repository from its files alone: the process
 * entrypoint, the environment variables the code reads, the Fastify routes it registers, the
 * quarantine and migrations folders, and the files worth requiring.
 *
 * Pure: everything comes in through a {@link RepoSnapshot} (the file list, a reader and an
 * import resolver), so the same detection runs on a folder on disk or on a repository held in
 * memory. The shared extractors of `trt verify` (env reads, Fastify routes, imports) do the
 * parsing, so that a truth file written by init is what the gates then read the code as.
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import type TS from 'typescript';
import { buildImportGraph, type ImportRef, type Resolution } from '../verify/graph.js';
import type { TypeScript } from '../verify/rule.js';
import { calleeName, dottedName, isModuleLevel, staticString, walk } from '../verify/scan/ast.js';
import { ENV_READ_PREFILTER, findEnvReads } from '../verify/scan/env-reads.js';
import {
  ANY_METHOD,
  composeRoutes,
  DEFAULT_APP_EXCLUDE,
  FastifyIndex,
  hasFastifyFacts,
  scanFastify,
  type FastifyFacts,
} from '../verify/scan/fastify-routes.js';
import { extractImports, linkParents, parseSource } from '../verify/scan/scan-file.js';
import { selectSourceFiles } from '../verify/source-files.js';
import {
  blessedRunPaths,
  dockerfileStart,
  normalizePath,
  packageScripts,
  procfileProcesses,
  readBuildRoots,
  renderBlueprint,
  runsOneOf,
  traceCommand,
  type RepositoryReader,
  type TraceOptions,
} from '../verify/start-commands.js';

/** The repository as detection sees it. */
export interface RepoSnapshot {
  /** The root folder's own name: the product name when package.json gives none. */
  folderName: string;
  /** Every file under the root, relative with forward slashes, sorted (dependencies and build output left out). */
  files: readonly string[];
  /** A file's text, or undefined when it cannot be read. */
  read(file: string): string | undefined;
  /** Where each import of a file leads, as `trt verify` resolves it. */
  resolveImports(file: string, imports: readonly ImportRef[]): Resolution[];
}

/** A place in a file, for the comments that say where something was found. */
export interface SourcePlace {
  file: string;
  line: number;
}

export interface DetectedEntrypoint {
  blessed: string;
  /** How the service is started, when package.json `start`, a Procfile or render.yaml says so. */
  command?: string;
  /** Why this file, e.g. "package.json scripts.start runs dist/server.js". */
  reason: string;
  /** Other files that start the process too (single-entrypoint will report them). */
  others: { file: string; reason: string }[];
}

export interface DetectedEnvVariable {
  name: string;
  /** required: read in application code without a fallback and not only compared; optional otherwise. */
  kind: 'required' | 'optional';
  /** The literal fallback of an optional variable ("" when there is none). */
  defaultValue: string;
  secret: boolean;
  /** Why it is optional when it is, e.g. "read in tests only". */
  note?: string;
  firstRead: SourcePlace;
}

export interface DetectedRoute {
  method: string;
  path: string;
  place: SourcePlace;
}

export interface Detection {
  product: { name: string; version?: string };
  entrypoint?: DetectedEntrypoint;
  env: DetectedEnvVariable[];
  /** Reads that could not be listed: a computed key, or a name the schema does not accept. */
  envSkipped: { what: string; place: SourcePlace }[];
  routes: DetectedRoute[];
  /** Registrations whose method or path is not a static value the truth can hold. */
  routesSkipped: { what: string; place: SourcePlace }[];
  quarantine?: string;
  migrations?: { folder: string; sqlFiles: number; others: string[] };
  requiredFiles: string[];
  /** verify.exclude globs for files that are not the product (fixtures). */
  exclude: string[];
}

/** The methods truth.yaml's `routes[].method` accepts. */
const TRUTH_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Folders that hold legacy code kept for reference, by convention. */
const QUARANTINE_FOLDERS = ['quarantine', 'legacy'];

/** Test doubles and sample repositories: their code is not the product's (globs for verify.exclude). */
const FIXTURE_GLOBS = ['**/fixtures/**', '**/__fixtures__/**'];

/** Files that are tests, fixtures or tool configuration rather than the running product. */
const NOT_PRODUCT_CODE = [...DEFAULT_APP_EXCLUDE, ...FIXTURE_GLOBS, '**/__mocks__/**', '**/*.config.*', '**/*.d.ts'];

/** Set by the platform, the shell or the runtime rather than by whoever deploys the service. */
const PLATFORM_VARIABLES = ['NODE_ENV', 'NODE_OPTIONS', 'CI', 'HOME', 'PATH', 'PWD', 'TZ', 'LANG', 'TERM', 'DEBUG', 'FORCE_COLOR', 'NO_COLOR', 'npm_*'];

/** Names that hold credentials: listed under env.secret so that logs and reports redact them. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|API_?KEY|_KEY$|^KEY$|CREDENTIAL|DATABASE_URL|_DSN$|CONNECTION_STRING/i;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Larger files are bundles or generated code: not worth parsing for a starter file. */
const MAX_PARSED_CHARS = 1_000_000;

/** Cheap test for files that may start the process. */
const STARTER_PREFILTER = /\.listen\s*\(|import\.meta\.(?:url|main|filename)|require\.main|\.start\s*\(|\brun\s*\(/;

/** Detects everything `trt init` writes into the starter truth file. */
export function detectRepository(ts: TypeScript, repo: RepoSnapshot): Detection {
  const files = new Set(repo.files);
  const manifest = readManifest(repo);
  const quarantine = QUARANTINE_FOLDERS.find((folder) => repo.files.some((file) => file.startsWith(`${folder}/`)));
  const exclude = FIXTURE_GLOBS.filter((glob) => {
    const matches = picomatch(glob, { dot: true });
    return repo.files.some((file) => matches(file));
  });
  const sources = selectSourceFiles(repo.files, { exclude, ...(quarantine ? { quarantine } : {}) });
  const notProductCode = picomatch(NOT_PRODUCT_CODE, { dot: true });

  const parsed = parseSources(ts, repo, sources);
  const entrypoint = detectEntrypoint(ts, repo, files, manifest, parsed, notProductCode);
  const { env, envSkipped } = detectEnv(ts, parsed, notProductCode);
  const { routes, routesSkipped } = detectRoutes(ts, repo, sources, parsed, entrypoint?.blessed);

  const readme = ['README.md', 'Readme.md', 'readme.md', 'README.MD', 'README'].find((name) => files.has(name));
  const quarantineReadme = quarantine ? [`${quarantine}/README.md`].find((name) => files.has(name)) : undefined;
  const migrations = detectMigrations(repo.files, quarantine);

  return {
    product: {
      name: typeof manifest.name === 'string' && manifest.name.trim() ? manifest.name.trim() : repo.folderName || 'my-service',
      ...(typeof manifest.version === 'string' && manifest.version ? { version: manifest.version } : {}),
    },
    ...(entrypoint ? { entrypoint } : {}),
    env,
    envSkipped,
    routes,
    routesSkipped,
    ...(quarantine ? { quarantine } : {}),
    ...(migrations ? { migrations } : {}),
    requiredFiles: [readme, quarantineReadme].filter((file): file is string => file !== undefined),
    exclude,
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing: each source file once, shared by every detector.

interface ParsedSource {
  file: string;
  sourceFile: TS.SourceFile;
}

function parseSources(ts: TypeScript, repo: RepoSnapshot, sources: readonly string[]): Map<string, ParsedSource> {
  const parsed = new Map<string, ParsedSource>();
  for (const file of sources) {
    const text = repo.read(file);
    if (text === undefined || text.length > MAX_PARSED_CHARS) continue;
    const sourceFile = parseSource(ts, file, text);
    linkParents(ts, sourceFile);
    parsed.set(file, { file, sourceFile });
  }
  return parsed;
}

function lineOf(sourceFile: TS.SourceFile, pos: number): number {
  return sourceFile.getLineAndCharacterOfPosition(pos).line + 1;
}

// ---------------------------------------------------------------------------------------------
// Entrypoint.

interface Manifest {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  bin?: unknown;
}

function readManifest(repo: RepoSnapshot): Manifest {
  const text = repo.read('package.json');
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Manifest) : {};
  } catch {
    return {};
  }
}

interface StarterCandidate {
  file: string;
  reason: string;
  /** Higher is more certain: a main guard beats a top-level listen beats a listen inside a function. */
  strength: number;
}

interface DeclaredStart {
  file: string;
  reason: string;
  /** The truth's entrypoint.command when this start is chosen. */
  command?: string;
  /** A start command says so, rather than package.json `main`/`bin`, which also name libraries and CLIs. */
  explicit: boolean;
}

/**
 * The blessed entrypoint: the source file behind the start command a deploy runs (package.json
 * `start`, Procfile, render.yaml, Dockerfile, read and traced as `single-entrypoint` reads them,
 * so that the rule agrees), else package.json `bin`/`main` when the code agrees, else the file
 * with the strongest sign in the code of starting the process.
 */
function detectEntrypoint(
  ts: TypeScript,
  repo: RepoSnapshot,
  files: ReadonlySet<string>,
  manifest: Manifest,
  parsed: ReadonlyMap<string, ParsedSource>,
  notProductCode: (file: string) => boolean,
): DetectedEntrypoint | undefined {
  const productFiles = [...parsed.keys()].filter((file) => !notProductCode(file));
  const starters = productFiles
    .flatMap((file) => {
      const { sourceFile } = parsed.get(file)!;
      const found = STARTER_PREFILTER.test(sourceFile.text) ? starterEvidence(ts, sourceFile) : undefined;
      return found ? [{ file, ...found }] : [];
    })
    .sort(compareStarters);
  const starterFiles = new Set(starters.map((starter) => starter.file));

  const reader: RepositoryReader = { exists: (file) => files.has(file), readText: (file) => repo.read(file) };
  const buildRoots = readBuildRoots(reader);
  const runPaths = new Map(productFiles.map((file) => [file, blessedRunPaths(file, buildRoots)]));
  // Of the sources a run path can stand for, one that shows it starts the process is the likelier.
  const sourceRunBy = (runFile: string) => {
    const matches = productFiles.filter((file) => runsOneOf(runFile, runPaths.get(file)!));
    return matches.find((file) => starterFiles.has(file)) ?? matches[0];
  };
  // Of `migrate && serve`, the last step that runs a file is the long-running process.
  const sourceOfCommand = (command: string | readonly string[], options: TraceOptions = {}) => {
    const run = traceCommand(command, reader, options).files.at(-1);
    const file = run === undefined ? undefined : sourceRunBy(run);
    return file === undefined ? undefined : { file, run: run! };
  };

  const declared: DeclaredStart[] = [];
  const manifestText = repo.read('package.json');
  const start = manifestText === undefined ? undefined : packageScripts(manifestText).find((script) => script.name === 'start');
  if (start) {
    const found = sourceOfCommand(start.command);
    if (found) declared.push({ file: found.file, reason: `package.json scripts.start runs ${found.run}`, command: 'npm start', explicit: true });
  }
  const procfile = repo.read('Procfile');
  const processes = (procfile === undefined ? [] : procfileProcesses(procfile)).filter((process) => process.type !== 'release');
  for (const process of [...processes.filter((entry) => entry.type === 'web'), ...processes.filter((entry) => entry.type !== 'web')]) {
    const found = sourceOfCommand(process.command);
    if (found) declared.push({ file: found.file, reason: `Procfile ${process.label} runs ${found.run}`, command: process.command, explicit: true });
  }
  const blueprint = files.has('render.yaml') ? renderBlueprint(repo.read('render.yaml') ?? '') : undefined;
  for (const command of (blueprint?.commands ?? []).filter((entry) => entry.type !== 'cron')) {
    const found = sourceOfCommand(command.command, { cwd: command.rootDir });
    if (found) declared.push({ file: found.file, reason: `render.yaml ${command.label} runs ${found.run}`, command: command.command, explicit: true });
  }
  for (const dockerfile of ['Dockerfile', 'Containerfile', ...(blueprint?.dockerfiles ?? [])]) {
    const text = files.has(dockerfile) ? repo.read(dockerfile) : undefined;
    const docker = text === undefined ? undefined : dockerfileStart(text);
    const found = docker ? sourceOfCommand(docker.command, docker.workdir !== undefined ? { absoluteRoot: docker.workdir } : {}) : undefined;
    if (found) declared.push({ file: found.file, reason: `${dockerfile} runs ${found.run}`, explicit: true });
  }
  for (const path of [...binPaths(manifest.bin), ...(typeof manifest.main === 'string' ? [manifest.main] : [])]) {
    const file = sourceRunBy(normalizePath(path));
    if (file) declared.push({ file, reason: `package.json ${path === manifest.main ? 'main' : 'bin'} points at ${path}`, explicit: false });
  }

  const chosen: DeclaredStart | undefined =
    declared.find((candidate) => candidate.explicit) ??
    declared.find((candidate) => starters.length === 0 || starterFiles.has(candidate.file)) ??
    (starters[0] ? { file: starters[0].file, reason: `${starters[0].file} ${starters[0].reason}`, explicit: false } : undefined);
  if (!chosen) return undefined;
  return {
    blessed: chosen.file,
    ...(chosen.command ? { command: chosen.command } : {}),
    reason: chosen.reason,
    others: starters.filter((starter) => starter.file !== chosen.file).map(({ file, reason }) => ({ file, reason })),
  };
}

function compareStarters(a: StarterCandidate, b: StarterCandidate): number {
  const depth = (file: string) => file.split('/').length;
  const preferred = (file: string) => (/^(?:main|server|index|app|start)\.[cm]?[jt]sx?$/.test(posix.basename(file)) ? 0 : 1);
  return b.strength - a.strength || depth(a.file) - depth(b.file) || preferred(a.file) - preferred(b.file) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
}

/** Whether a file starts the process, and the strongest sign of it. */
export function starterEvidence(ts: TypeScript, sourceFile: TS.SourceFile): { reason: string; strength: number } | undefined {
  let best: { reason: string; strength: number } | undefined;
  const consider = (reason: string, strength: number) => {
    if (!best || strength > best.strength) best = { reason, strength };
  };
  walk(ts, sourceFile, (node) => {
    if (ts.isBinaryExpression(node) && isEquality(ts, node.operatorToken.kind)) {
      const sides = [node.left.getText(sourceFile), node.right.getText(sourceFile)];
      const esmGuard = sides.some((side) => /import\.meta\.(?:url|filename)/.test(side)) && sides.some((side) => /process\.argv/.test(side));
      const cjsGuard = sides.includes('require.main') && sides.includes('module');
      if (esmGuard || cjsGuard) consider('has a main-module guard', 4);
    } else if (ts.isPropertyAccessExpression(node) && dottedName(ts, node) === 'import.meta.main') {
      consider('has a main-module guard (import.meta.main)', 4);
    } else if (ts.isCallExpression(node)) {
      const name = calleeName(ts, node);
      const onObject = ts.isPropertyAccessExpression(node.expression);
      const receiver = ts.isPropertyAccessExpression(node.expression) ? receiverText(ts, node.expression.expression) : undefined;
      const starts =
        (name === 'listen' && onObject) ||
        (name === 'start' && receiver !== undefined && /bot$/i.test(receiver)) ||
        (name === 'run' && ts.isIdentifier(node.expression) && node.arguments.some((argument) => ts.isIdentifier(argument) && /bot$/i.test(argument.text)));
      if (starts) {
        const call = `${receiver ? `${receiver}.` : ''}${name}()`;
        if (isModuleLevel(ts, node)) consider(`calls ${call} at the top level`, 3);
        else consider(`calls ${call}`, 1);
      }
    }
  });
  return best;
}

/** `app`, `this.server`, `Fastify()`, `http.createServer()` for messages; `…` for anything longer. */
function receiverText(ts: TypeScript, expression: TS.Expression): string {
  const name = dottedName(ts, expression);
  if (name !== undefined) return name;
  if (ts.isCallExpression(expression)) {
    const callee = dottedName(ts, expression.expression);
    if (callee !== undefined) return `${callee}()`;
  }
  return '…';
}

function isEquality(ts: TypeScript, kind: TS.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.EqualsEqualsEqualsToken ||
    kind === ts.SyntaxKind.EqualsEqualsToken ||
    kind === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
    kind === ts.SyntaxKind.ExclamationEqualsToken
  );
}

function binPaths(bin: unknown): string[] {
  if (typeof bin === 'string') return [bin];
  if (bin && typeof bin === 'object') return Object.values(bin).filter((value): value is string => typeof value === 'string');
  return [];
}

// ---------------------------------------------------------------------------------------------
// Environment variables.

interface EnvOccurrence {
  place: SourcePlace;
  productCode: boolean;
  compared: boolean;
  fallback?: string;
}

function detectEnv(
  ts: TypeScript,
  parsed: ReadonlyMap<string, ParsedSource>,
  notProductCode: (file: string) => boolean,
): { env: DetectedEnvVariable[]; envSkipped: Detection['envSkipped'] } {
  const occurrences = new Map<string, EnvOccurrence[]>();
  const envSkipped: Detection['envSkipped'] = [];
  for (const { file, sourceFile } of parsed.values()) {
    if (!ENV_READ_PREFILTER.test(sourceFile.text)) continue;
    for (const read of findEnvReads(ts, sourceFile)) {
      if (read.access !== 'read') continue;
      const place = { file, line: lineOf(sourceFile, read.pos) };
      if (read.name === undefined) {
        envSkipped.push({ what: `a variable with a computed name (${read.source}[…])`, place });
        continue;
      }
      if (!ENV_NAME.test(read.name)) {
        envSkipped.push({ what: `${JSON.stringify(read.name)}, not a valid variable name`, place });
        continue;
      }
      const usage = readUsage(ts, sourceFile, read.pos);
      const list = occurrences.get(read.name) ?? [];
      list.push({ place, productCode: !notProductCode(file), compared: usage.compared, ...(usage.fallback !== undefined ? { fallback: usage.fallback } : {}) });
      occurrences.set(read.name, list);
    }
  }

  const isPlatform = picomatch(PLATFORM_VARIABLES);
  const env = [...occurrences.entries()]
    .map(([name, reads]): DetectedEnvVariable => {
      const secret = SECRET_NAME.test(name);
      const firstRead = (reads.find((read) => read.productCode) ?? reads[0]!).place;
      const withFallback = reads.find((read) => read.fallback !== undefined);
      const optional = (defaultValue: string, note?: string): DetectedEnvVariable => ({
        name,
        kind: 'optional',
        defaultValue,
        secret,
        firstRead,
        ...(note ? { note } : {}),
      });
      if (withFallback) return optional(withFallback.fallback!);
      if (isPlatform(name)) return optional('', 'set by the platform');
      if (!reads.some((read) => read.productCode)) return optional('', 'read in tests or tooling only');
      if (reads.every((read) => read.compared)) return optional('', 'only compared with a value: unset means off');
      return { name, kind: 'required', defaultValue: '', secret, firstRead };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { env, envSkipped };
}

/** How a read uses the variable, as far as the code around it tells. */
interface ReadUsage {
  /** The literal it falls back to: `env.X ?? 'd'`, `env.X || 8080`, `const { X = 'd' } = env`. */
  fallback?: string;
  /** Compared with a literal (`env.X === 'true'`): a switch that is off when unset. */
  compared: boolean;
}

function readUsage(ts: TypeScript, sourceFile: TS.SourceFile, pos: number): ReadUsage {
  let node: TS.Node | undefined = innermostNodeAt(ts, sourceFile, pos);
  if (!node) return { compared: false };
  if (ts.isBindingElement(node.parent)) {
    const fallback = literalText(ts, node.parent.initializer);
    return { ...(fallback !== undefined ? { fallback } : {}), compared: false };
  }
  while (
    node.parent &&
    ((ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) ||
      (ts.isElementAccessExpression(node.parent) && node.parent.argumentExpression === node) ||
      ts.isParenthesizedExpression(node.parent) ||
      ts.isAsExpression(node.parent) ||
      ts.isNonNullExpression(node.parent))
  ) {
    node = node.parent;
  }
  const parent = node.parent;
  if (!parent || !ts.isBinaryExpression(parent)) return { compared: false };
  const operator = parent.operatorToken.kind;
  if (parent.left === node && (operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.BarBarToken)) {
    const fallback = literalText(ts, parent.right);
    return { ...(fallback !== undefined ? { fallback } : {}), compared: false };
  }
  const other = parent.left === node ? parent.right : parent.left;
  return { compared: isEquality(ts, operator) && literalText(ts, other) !== undefined };
}

function innermostNodeAt(ts: TypeScript, sourceFile: TS.SourceFile, pos: number): TS.Node | undefined {
  let found: TS.Node | undefined;
  const visit = (node: TS.Node): void => {
    if (pos < node.getStart(sourceFile) || pos >= node.getEnd()) return;
    found = node;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

function literalText(ts: TypeScript, node: TS.Expression | undefined): string | undefined {
  if (!node) return undefined;
  const text = staticString(ts, node);
  if (text !== undefined) return text;
  if (ts.isNumericLiteral(node)) return node.text;
  if (node.kind === ts.SyntaxKind.TrueKeyword) return 'true';
  if (node.kind === ts.SyntaxKind.FalseKeyword) return 'false';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Routes.

function detectRoutes(
  ts: TypeScript,
  repo: RepoSnapshot,
  sources: readonly string[],
  parsed: ReadonlyMap<string, ParsedSource>,
  blessed: string | undefined,
): { routes: DetectedRoute[]; routesSkipped: Detection['routesSkipped'] } {
  const facts: { file: string; fact: FastifyFacts }[] = [];
  const imports = new Map<string, ImportRef[]>();
  for (const { file, sourceFile } of parsed.values()) {
    const position = (at: TS.Node) => {
      const { line, character } = sourceFile.getLineAndCharacterOfPosition(at.getStart(sourceFile));
      return { line: line + 1, column: character + 1 };
    };
    imports.set(file, extractImports(ts, sourceFile, position));
    // Every file, not only FASTIFY_PREFILTER's: the routes barrels between them count too.
    const fact = scanFastify(ts, sourceFile, position).facts;
    if (hasFastifyFacts(fact)) facts.push({ file, fact });
  }
  if (facts.length === 0) return { routes: [], routesSkipped: [] };

  const graph = buildImportGraph(
    sources,
    (file) => imports.get(file) ?? [],
    (file) => repo.resolveImports(file, imports.get(file) ?? []),
  );
  const app = composeRoutes(new FastifyIndex(facts, graph), graph, {
    truth: { version: 1, ...(blessed ? { entrypoint: { blessed } } : {}) },
    exclude: DEFAULT_APP_EXCLUDE,
  });

  const routes: DetectedRoute[] = [];
  const routesSkipped: Detection['routesSkipped'] = [];
  const seen = new Set<string>();
  for (const route of app.routes) {
    const place = { file: route.file, line: route.line };
    if (route.path === null) {
      routesSkipped.push({ what: `${route.method === ANY_METHOD ? 'a route' : route.method} whose path is not a static string`, place });
    } else if (!TRUTH_METHODS.has(route.method)) {
      const method = route.method === ANY_METHOD ? 'all()' : route.method === '?' ? 'a computed method' : route.method;
      routesSkipped.push({ what: `${route.path} registered with ${method}`, place });
    } else if (!seen.has(`${route.method} ${route.path}`)) {
      seen.add(`${route.method} ${route.path}`);
      routes.push({ method: route.method, path: route.path, place });
    }
  }
  const methodOrder = [...TRUTH_METHODS];
  routes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : methodOrder.indexOf(a.method) - methodOrder.indexOf(b.method)));
  return { routes, routesSkipped };
}

// ---------------------------------------------------------------------------------------------
// Migrations.

/**
 * The folder of SQL migrations: the nearest folder named `migrations` above `.sql` files, the
 * shallowest (then fullest) when there are several.
 */
function detectMigrations(files: readonly string[], quarantine: string | undefined): Detection['migrations'] {
  const fixtures = picomatch([...FIXTURE_GLOBS, ...DEFAULT_APP_EXCLUDE], { dot: true });
  const counts = new Map<string, number>();
  for (const file of files) {
    if (!file.endsWith('.sql') || fixtures(file) || (quarantine && file.startsWith(`${quarantine}/`))) continue;
    const parts = file.split('/');
    const at = parts.lastIndexOf('migrations', parts.length - 2);
    if (at < 0) continue;
    const folder = parts.slice(0, at + 1).join('/');
    counts.set(folder, (counts.get(folder) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort(
    ([a, countA], [b, countB]) => a.split('/').length - b.split('/').length || countB - countA || (a < b ? -1 : 1),
  );
  const [best, ...others] = ranked;
  return best ? { folder: best[0], sqlFiles: best[1], others: others.map(([folder]) => folder) } : undefined;
}
