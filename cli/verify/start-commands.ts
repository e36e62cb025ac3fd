/**
 * How a repository starts its service, read from the places a deploy looks: package.json
 * scripts, a Dockerfile's CMD/ENTRYPOINT, Procfile process lines and render.yaml services.
 *
 * A start command is traced to the files it hands to a JavaScript runtime: through package
 * scripts (`npm start` → `scripts.start`), shell wrappers (`sh -c`, `exec`, `tini --`, `cd app &&`),
 * shell scripts in the repository (`./start.sh`) and runtime flags (`node --import tsx`,
 * `tsx watch`). The `single-entrypoint` rule compares those files with the blessed entrypoint
 * and its build output; `trt init` can use the same reading to detect an entrypoint.
 *
 * Everything here is pure over a {@link RepositoryReader}: no file system access of its own.
 */
import { posix } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Pair } from 'yaml';

export interface RepositoryReader {
  /** Whether a file exists, relative to the root. */
  exists(file: string): boolean;
  /** A file's text relative to the root, or undefined when it does not exist. */
  readText(file: string): string | undefined;
}

export interface SourcePosition {
  line: number;
  column: number;
}

/** A package script that the command runs: `name` in `<dir>/package.json` (dir '' for the root). */
export interface ScriptRef {
  dir: string;
  name: string;
}

export interface CommandTrace {
  /** Files handed to a JavaScript runtime, relative to the root, including through scripts. */
  files: string[];
  /** Scripts the command runs itself (not through another script). */
  scripts: ScriptRef[];
  /** Scripts the command asks for that no package.json defines. */
  missingScripts: ScriptRef[];
}

export interface TraceOptions {
  /** Folder the command runs in, relative to the root ('' for the root). */
  cwd?: string;
  /** The absolute folder that holds the repository where the command runs (a Dockerfile's WORKDIR). */
  absoluteRoot?: string;
}

/**
 * Splits a shell command into simple commands (separated by `&&`, `||`, `;`, `|`, `&`, newlines
 * and parentheses), each a list of words with quotes removed. Redirections and comments are dropped;
 * `$(…)` stays inside its word. Enough shell for start commands, not a shell.
 */
export function shellSegments(text: string): string[][] {
  const segments: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let dropNextWord = false;
  const endWord = () => {
    if (inWord) {
      if (dropNextWord) dropNextWord = false;
      else words.push(word);
    }
    word = '';
    inWord = false;
  };
  const endSegment = () => {
    endWord();
    if (words.length > 0) segments.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const next = text[i + 1];
    if (char === '\\') {
      if (next === '\n') i++;
      else if (next !== undefined) {
        word += next;
        inWord = true;
        i++;
      }
    } else if (char === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      word += text.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (char === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
        } else {
          word += text[i];
          i++;
        }
      }
      inWord = true;
    } else if (char === '$' && next === '(') {
      let depth = 0;
      for (; i < text.length; i++) {
        word += text[i];
        if (text[i] === '(') depth++;
        else if (text[i] === ')' && --depth === 0) break;
      }
      inWord = true;
    } else if (char === ' ' || char === '\t' || char === '\r') {
      endWord();
    } else if (char === '\n' || char === ';' || char === '(' || char === ')') {
      endSegment();
    } else if (char === '&' || char === '|') {
      endSegment();
      if (next === char) i++;
    } else if (char === '#' && !inWord) {
      const newline = text.indexOf('\n', i);
      i = newline < 0 ? text.length : newline - 1;
    } else if (char === '>' || char === '<') {
      // `2>` names a file descriptor, not a word of the command.
      if (inWord && /^\d+$/.test(word)) {
        word = '';
        inWord = false;
      } else {
        endWord();
      }
      while (text[i + 1] === '>' || text[i + 1] === '<') i++;
      if (text[i + 1] === '&') {
        i++;
        while (/[\d-]/.test(text[i + 1] ?? '')) i++;
      } else {
        dropNextWord = true;
      }
    } else {
      word += char;
      inWord = true;
    }
  }
  endSegment();
  return segments;
}

const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh']);

/** Commands that run the rest of their arguments as a command, with the options that take a value. */
const WRAPPERS: ReadonlyMap<string, { valueFlags: readonly string[]; positionals?: number }> = new Map([
  ['exec', { valueFlags: ['-a'] }],
  ['nohup', { valueFlags: [] }],
  ['time', { valueFlags: [] }],
  ['command', { valueFlags: [] }],
  ['setsid', { valueFlags: [] }],
  ['env', { valueFlags: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'] }],
  ['cross-env', { valueFlags: [] }],
  ['cross-env-shell', { valueFlags: [] }],
  ['dotenv', { valueFlags: ['-e', '-c', '-v', '-p'] }],
  ['dumb-init', { valueFlags: ['-r', '--rewrite'] }],
  ['tini', { valueFlags: ['-p', '-e'] }],
  ['tini-static', { valueFlags: ['-p', '-e'] }],
  ['docker-entrypoint.sh', { valueFlags: [] }],
  ['gosu', { valueFlags: [], positionals: 1 }],
  ['su-exec', { valueFlags: [], positionals: 1 }],
]);

interface RuntimeSyntax {
  /** Words after the runtime that name a mode, not the script (`tsx watch`, `deno run`). */
  subcommands?: readonly string[];
  /** Options followed by a separate value (`--import tsx`). */
  valueFlags: readonly string[];
  /** Options whose presence means the code is inline, not a file (`node -e`). */
  inlineFlags?: readonly string[];
}

const NODE_VALUE_FLAGS = ['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--env-file-if-exists', '--title', '--input-type', '--watch-path'];
const NODE_INLINE_FLAGS = ['-e', '--eval', '-p', '--print', '-i', '--interactive', '--test', '--run'];
const TS_NODE_VALUE_FLAGS = [...NODE_VALUE_FLAGS, '-P', '--project', '-O', '--compiler-options', '--compiler', '--cwd', '--scope-dir', '--tsconfig'];
const PM2_VALUE_FLAGS = ['-i', '--instances', '-n', '--name', '--node-args', '--interpreter', '--interpreter-args', '--max-memory-restart', '-o', '--output', '-e', '--error', '-l', '--log'];

/** JavaScript and TypeScript runtimes and process managers whose first positional argument is the file they run. */
const RUNTIMES: ReadonlyMap<string, RuntimeSyntax> = new Map<string, RuntimeSyntax>([
  ['node', { valueFlags: NODE_VALUE_FLAGS, inlineFlags: NODE_INLINE_FLAGS }],
  ['nodejs', { valueFlags: NODE_VALUE_FLAGS, inlineFlags: NODE_INLINE_FLAGS }],
  ['tsx', { subcommands: ['watch'], valueFlags: [...NODE_VALUE_FLAGS, '--tsconfig', '--include', '--exclude', '--ignore'], inlineFlags: NODE_INLINE_FLAGS }],
  ['ts-node', { valueFlags: TS_NODE_VALUE_FLAGS, inlineFlags: NODE_INLINE_FLAGS }],
  ['ts-node-esm', { valueFlags: TS_NODE_VALUE_FLAGS, inlineFlags: NODE_INLINE_FLAGS }],
  ['ts-node-dev', { valueFlags: [...TS_NODE_VALUE_FLAGS, '--watch', '--ignore-watch'], inlineFlags: NODE_INLINE_FLAGS }],
  ['tsnd', { valueFlags: [...TS_NODE_VALUE_FLAGS, '--watch', '--ignore-watch'], inlineFlags: NODE_INLINE_FLAGS }],
  ['nodemon', { valueFlags: ['-w', '--watch', '-e', '--ext', '-x', '--exec', '-i', '--ignore', '-d', '--delay', '-s', '--signal', '--config', '-C'] }],
  ['node-dev', { valueFlags: NODE_VALUE_FLAGS }],
  ['babel-node', { valueFlags: [...NODE_VALUE_FLAGS, '--config-file', '--presets', '--plugins', '--extensions'], inlineFlags: NODE_INLINE_FLAGS }],
  ['esno', { valueFlags: NODE_VALUE_FLAGS, inlineFlags: NODE_INLINE_FLAGS }],
  ['esr', { valueFlags: [] }],
  ['vite-node', { valueFlags: ['-r', '--root', '--config', '--mode', '-w', '--watch'] }],
  ['jiti', { valueFlags: [] }],
  ['deno', { subcommands: ['run', 'serve'], valueFlags: ['-c', '--config', '--import-map', '--lock', '--cert', '--location', '--seed', '--v8-flags'], inlineFlags: ['eval', 'task', 'repl'] }],
  ['pm2-runtime', { subcommands: ['start'], valueFlags: PM2_VALUE_FLAGS }],
  ['pm2', { subcommands: ['start'], valueFlags: PM2_VALUE_FLAGS }],
  ['forever', { subcommands: ['start'], valueFlags: ['-l', '-o', '-e', '-c', '-p', '--uid', '--minUptime', '--spinSleepTime', '--sourceDir', '--workingDir'] }],
]);

/** Script files a runtime can run, by extension; anything else (`ecosystem.config.cjs` aside) is not traced. */
const RUNNABLE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const PACKAGE_MANAGERS = new Set(['npm', 'yarn', 'pnpm']);
const MAX_DEPTH = 8;

/** Traces a command (a shell string, or the words of a Dockerfile exec form) to the files it runs. */
export function traceCommand(command: string | readonly string[], reader: RepositoryReader, options: TraceOptions = {}): CommandTrace {
  const trace: CommandTrace = { files: [], scripts: [], missingScripts: [] };
  const tracer = new Tracer(reader, trace, options.absoluteRoot);
  tracer.command(command, options.cwd ?? '', 0, false);
  trace.files = [...new Set(trace.files)];
  return trace;
}

class Tracer {
  private readonly scriptStack = new Set<string>();
  private readonly scriptsByDir = new Map<string, Record<string, string> | undefined>();

  constructor(
    private readonly reader: RepositoryReader,
    private readonly trace: CommandTrace,
    private readonly absoluteRoot: string | undefined,
  ) {}

  command(command: string | readonly string[], cwd: string, depth: number, insideScript: boolean): void {
    if (depth > MAX_DEPTH) return;
    const segments = typeof command === 'string' ? shellSegments(command) : [[...command]];
    let dir = cwd;
    for (const words of segments) dir = this.segment(words, dir, depth, insideScript);
  }

  /** Traces one simple command; returns the folder the next one runs in (`cd` changes it). */
  private segment(words: readonly string[], cwd: string, depth: number, insideScript: boolean): string {
    let index = 0;
    for (;;) {
      while (index < words.length && ENV_ASSIGNMENT.test(words[index]!)) index++;
      const wrapper = WRAPPERS.get(posix.basename(words[index] ?? ''));
      if (!wrapper) break;
      index = skipOptions(words, index + 1, wrapper.valueFlags);
      for (let skipped = 0; skipped < (wrapper.positionals ?? 0) && index < words.length; skipped++) index++;
    }
    if (index >= words.length) return cwd;
    const program = words[index]!;
    const name = posix.basename(program);
    const args = words.slice(index + 1);

    if (name === 'cd') return args[0] && !args[0].startsWith('-') ? this.path(cwd, args[0]) : cwd;
    if (SHELLS.has(name)) {
      const flag = args.findIndex((arg) => /^-[a-z]*c[a-z]*$/.test(arg));
      if (flag >= 0 && args[flag + 1] !== undefined) this.command(args[flag + 1]!, cwd, depth + 1, insideScript);
      else {
        const script = args.find((arg) => !arg.startsWith('-'));
        if (script) this.shellScript(this.path(cwd, script), cwd, depth, insideScript);
      }
    } else if (PACKAGE_MANAGERS.has(name)) {
      this.packageManager(name, args, cwd, depth, insideScript);
    } else if (name === 'npx' || name === 'bunx') {
      this.segment(dropExecOptions(args), cwd, depth + 1, insideScript);
    } else if (name === 'bun') {
      this.bun(args, cwd, depth, insideScript);
    } else if (name === 'node' && args.includes('--run')) {
      const script = args[args.indexOf('--run') + 1];
      if (script) this.script(cwd, script, depth, insideScript, false);
    } else if (RUNTIMES.has(name)) {
      this.runtime(RUNTIMES.get(name)!, args, cwd);
    } else if (program.includes('/') || program.endsWith('.sh')) {
      this.shellScript(this.path(cwd, program), cwd, depth, insideScript);
    }
    return cwd;
  }

  private packageManager(manager: string, args: readonly string[], cwd: string, depth: number, insideScript: boolean): void {
    let dir = cwd;
    let index = 0;
    while (index < args.length && args[index]!.startsWith('-')) {
      const flag = args[index]!;
      const [key, inline] = flag.split('=', 2) as [string, string | undefined];
      if (['--prefix', '--cwd', '--dir', '-C'].includes(key)) {
        const value = inline ?? args[++index];
        if (value) dir = this.path(cwd, value);
      } else if (['-w', '--workspace', '--filter', '-F'].includes(key) && inline === undefined) {
        index++;
      }
      index++;
    }
    const sub = args[index];
    const rest = args.slice(index + 1);
    if (sub === undefined) return;
    if (sub === 'start' || sub === 'restart') return this.script(dir, 'start', depth, insideScript, manager !== 'yarn');
    if (sub === 'test' || sub === 't' || sub === 'tst') return this.script(dir, 'test', depth, insideScript, false);
    if (['run', 'run-script', 'rum', 'urn'].includes(sub)) {
      const script = rest.find((arg) => !arg.startsWith('-'));
      if (script) this.script(dir, script, depth, insideScript, false);
      return;
    }
    if (['exec', 'x', 'dlx'].includes(sub)) return void this.segment(dropExecOptions(rest), dir, depth + 1, insideScript);
    if (manager !== 'npm') {
      // `yarn serve` / `pnpm serve` run a script when one has that name, else a binary.
      if (this.scripts(dir)?.[sub] !== undefined) this.script(dir, sub, depth, insideScript, false);
      else this.segment([sub, ...rest], dir, depth + 1, insideScript);
    }
  }

  private bun(args: readonly string[], cwd: string, depth: number, insideScript: boolean): void {
    let index = skipOptions(args, 0, ['--cwd', '--config', '-c', '--preload', '-r', '--tsconfig-override', '--env-file']);
    if (args[index] === 'run') index = skipOptions(args, index + 1, ['--cwd', '--config', '-c', '--preload', '-r', '--env-file']);
    const target = args[index];
    if (target === undefined) return;
    if (target === 'start' || (!RUNNABLE.test(target) && !target.includes('/') && this.scripts(cwd)?.[target] !== undefined)) {
      this.script(cwd, target, depth, insideScript, false);
    } else if (RUNNABLE.test(target) || target.includes('/') || target === '.') {
      this.runFile(cwd, target);
    } else if (target === 'x') {
      this.segment(dropExecOptions(args.slice(index + 1)), cwd, depth + 1, insideScript);
    }
  }

  private runtime(syntax: RuntimeSyntax, args: readonly string[], cwd: string): void {
    let index = 0;
    while (index < args.length) {
      const arg = args[index]!;
      if (arg === '--') {
        index++;
        break;
      }
      if (syntax.inlineFlags?.includes(arg)) return;
      if (arg.startsWith('-')) {
        index += syntax.valueFlags.includes(arg) ? 2 : 1;
      } else if (syntax.subcommands?.includes(arg)) {
        index++;
      } else {
        break;
      }
    }
    const target = args[index];
    if (target === undefined || target === '-') return;
    this.runFile(cwd, target);
  }

  private runFile(cwd: string, target: string): void {
    if (target === '.' || target === './') {
      const main = this.packageMain(cwd);
      this.trace.files.push(this.path(cwd, main ?? 'index.js'));
      return;
    }
    if (/\.config\.[cm]?js$|\.(?:json|ya?ml)$/.test(target)) return;
    this.trace.files.push(this.path(cwd, target));
  }

  private script(dir: string, name: string, depth: number, insideScript: boolean, defaultsToServerJs: boolean): void {
    const ref = { dir, name };
    if (!insideScript) this.trace.scripts.push(ref);
    const key = `${dir}#${name}`;
    if (this.scriptStack.has(key) || depth > MAX_DEPTH) return;
    const command = this.scripts(dir)?.[name];
    if (command === undefined) {
      // npm and pnpm run `node server.js` for a missing start script when that file exists.
      const serverJs = joinPath(dir, 'server.js');
      if (name === 'start' && defaultsToServerJs && this.reader.exists(serverJs)) this.trace.files.push(serverJs);
      else this.trace.missingScripts.push(ref);
      return;
    }
    this.scriptStack.add(key);
    this.command(command, dir, depth + 1, true);
    this.scriptStack.delete(key);
  }

  private shellScript(file: string, cwd: string, depth: number, insideScript: boolean): void {
    if (RUNNABLE.test(file)) return;
    const text = this.reader.readText(file);
    if (text !== undefined) this.command(text, cwd, depth + 1, insideScript);
  }

  private scripts(dir: string): Record<string, string> | undefined {
    if (!this.scriptsByDir.has(dir)) {
      const manifest = readPackageJson(this.reader.readText(joinPath(dir, 'package.json')));
      const scripts = manifest?.scripts;
      this.scriptsByDir.set(dir, isStringRecord(scripts) ? scripts : undefined);
    }
    return this.scriptsByDir.get(dir);
  }

  private packageMain(dir: string): string | undefined {
    const main = readPackageJson(this.reader.readText(joinPath(dir, 'package.json')))?.main;
    return typeof main === 'string' ? main : undefined;
  }

  /** A path as written in a command, relative to the root; absolute paths inside the container's copy of the repository too. */
  private path(cwd: string, written: string): string {
    if (written.startsWith('/')) {
      const root = this.absoluteRoot?.replace(/\/+$/, '');
      if (root && (written === root || written.startsWith(`${root}/`))) return normalizePath(written.slice(root.length + 1));
      return posix.normalize(written);
    }
    return normalizePath(joinPath(cwd, written));
  }
}

function skipOptions(words: readonly string[], start: number, valueFlags: readonly string[]): number {
  let index = start;
  while (index < words.length) {
    const word = words[index]!;
    if (word === '--') return index + 1;
    if (ENV_ASSIGNMENT.test(word)) index++;
    else if (word.startsWith('-')) index += valueFlags.includes(word) ? 2 : 1;
    else break;
  }
  return index;
}

/** `npx --yes -p tsx tsx main.ts` → `tsx main.ts`. */
function dropExecOptions(args: readonly string[]): string[] {
  return args.slice(skipOptions(args, 0, ['-p', '--package', '-c', '--call', '-w', '--workspace']));
}

function readPackageJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');
}

function joinPath(dir: string, file: string): string {
  return dir ? posix.join(dir, file) : file;
}

/** Relative path with forward slashes, no leading `./`, no trailing `/`. */
export function normalizePath(path: string): string {
  const normalized = posix.normalize(path.replace(/\\/g, '/'));
  return normalized === '.' ? '' : normalized.replace(/^\.\//, '').replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Build output: which paths, when run, run the blessed source file.

/** Where a TypeScript build puts its output; `rootDir` undefined when the config leaves it to tsc. */
export interface BuildRoot {
  outDir: string;
  rootDir?: string;
}

const TSCONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/** The `outDir`/`rootDir` pairs of the root's tsconfig.json and tsconfig.build.json (following relative `extends`). */
export function readBuildRoots(reader: RepositoryReader): BuildRoot[] {
  const roots = new Map<string, BuildRoot>();
  for (const file of TSCONFIGS) {
    const options = compilerOptions(reader, file, 0);
    if (options?.outDir === undefined) continue;
    const root: BuildRoot = { outDir: options.outDir, ...(options.rootDir !== undefined ? { rootDir: options.rootDir } : {}) };
    roots.set(`${root.outDir}\0${root.rootDir ?? ''}`, root);
  }
  return [...roots.values()];
}

function compilerOptions(reader: RepositoryReader, file: string, depth: number): { outDir?: string; rootDir?: string } | undefined {
  if (depth > 5) return undefined;
  const config = parseJsonc(reader.readText(file) ?? '');
  if (!config || typeof config !== 'object') return undefined;
  const { extends: base, compilerOptions: own } = config as { extends?: unknown; compilerOptions?: Record<string, unknown> };
  const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
  const result: { outDir?: string; rootDir?: string } = {};
  for (const parent of (Array.isArray(base) ? base : [base]).filter((item): item is string => typeof item === 'string' && item.startsWith('.'))) {
    const path = normalizePath(joinPath(dir, parent.endsWith('.json') ? parent : `${parent}.json`));
    Object.assign(result, compilerOptions(reader, path, depth + 1));
  }
  for (const key of ['outDir', 'rootDir'] as const) {
    const value = own?.[key];
    if (typeof value === 'string') result[key] = normalizePath(joinPath(dir, value));
  }
  return result;
}

/** JSON with comments and trailing commas (tsconfig's dialect); undefined when it is not that. */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += char;
    }
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
  } catch {
    return undefined;
  }
}

const OUTPUT_EXTENSION: Record<string, string> = { '.ts': '.js', '.tsx': '.js', '.js': '.js', '.jsx': '.js', '.mts': '.mjs', '.mjs': '.mjs', '.cts': '.cjs', '.cjs': '.cjs' };

/**
 * The paths that run the blessed file: itself, and its build output under each tsconfig
 * `outDir` (mapped through `rootDir`), and under `dist/` and `build/` when no tsconfig names
 * them. Where `rootDir` is unknown, both the path as is and without its first folder are taken
 * (tsc's common root is usually the source folder: `src/main.ts` → `dist/main.js`).
 */
export function blessedRunPaths(blessed: string, buildRoots: readonly BuildRoot[]): string[] {
  const source = normalizePath(blessed);
  const paths = new Set([source]);
  const extension = posix.extname(source);
  const output = OUTPUT_EXTENSION[extension];
  if (!output) return [...paths];
  const named = new Set(buildRoots.map((root) => root.outDir));
  const roots: BuildRoot[] = [...buildRoots, ...['dist', 'build'].filter((outDir) => !named.has(outDir)).map((outDir) => ({ outDir }))];
  for (const { outDir, rootDir } of roots) {
    const relatives = rootDir !== undefined ? [relativeInside(rootDir, source)] : [source, source.includes('/') ? source.slice(source.indexOf('/') + 1) : undefined];
    for (const relative of relatives) {
      if (relative !== undefined) paths.add(joinPath(outDir, `${relative.slice(0, -extension.length)}${output}`));
    }
  }
  return [...paths];
}

function relativeInside(folder: string, file: string): string | undefined {
  if (folder === '') return file;
  return file.startsWith(`${folder}/`) ? file.slice(folder.length + 1) : undefined;
}

/** Whether a file a command runs is one of `runPaths`; an extensionless path may name a file or a folder's index. */
export function runsOneOf(file: string, runPaths: readonly string[]): boolean {
  if (runPaths.includes(file)) return true;
  if (posix.extname(file) !== '') return false;
  return runPaths.some((path) => path === `${file}${posix.extname(path)}` || path === `${file}/index${posix.extname(path)}`);
}

// ---------------------------------------------------------------------------------------------
// Readers of the files that declare start commands.

/** A command found in a deploy file, at the key or instruction that declares it. */
export interface DeclaredCommand extends SourcePosition {
  /** What declares it, for messages: `script "start"`, `CMD`, `process "web"`, `service "api" startCommand`. */
  label: string;
  command: string | string[];
}

export interface PackageScript extends DeclaredCommand {
  name: string;
}

/** The scripts of a package.json with the position of each key; [] when the file is not a JSON object. */
export function packageScripts(text: string): PackageScript[] {
  if (readPackageJson(text) === undefined) return [];
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const scripts = document.get('scripts', true);
  if (!isMap(scripts)) return [];
  const found: PackageScript[] = [];
  for (const pair of scripts.items) {
    if (!isScalar(pair.key) || !isScalar(pair.value) || typeof pair.value.value !== 'string') continue;
    const name = String(pair.key.value);
    found.push({ name, label: `script "${name}"`, command: pair.value.value, ...position(lineCounter, pair) });
  }
  return found;
}

/** A CMD or ENTRYPOINT instruction: `command` as Docker runs it, `written` as the Dockerfile says it. */
export interface DockerInstruction extends DeclaredCommand {
  command: string[];
  written: string;
}

export interface DockerfileStart {
  /** The command the image runs: ENTRYPOINT and CMD combined as Docker does. */
  command: string[];
  entrypoint?: DockerInstruction;
  cmd?: DockerInstruction;
  /** The final stage's WORKDIR, where the command runs. */
  workdir?: string;
}

interface StageState {
  entrypoint?: DockerInstruction & { shellForm: boolean };
  cmd?: DockerInstruction;
  workdir?: string;
  /** Whether this stage (not a stage it is built from) set CMD: ENTRYPOINT clears only an inherited CMD. */
  cmdSetHere?: boolean;
}

/**
 * The effective start of a Dockerfile: the last CMD and ENTRYPOINT of the final stage (a stage
 * built `FROM` an earlier one inherits them), in exec form (`["node", "main.js"]`) or shell form
 * (`node main.js`, which Docker runs as `/bin/sh -c`). Undefined when the final stage sets neither.
 */
export function dockerfileStart(text: string): DockerfileStart | undefined {
  const stages = new Map<string, StageState>();
  let state: StageState = {};
  for (const instruction of dockerInstructions(text)) {
    const keyword = instruction.keyword.toUpperCase();
    if (keyword === 'FROM') {
      const [image, as, alias] = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      state = { ...(stages.get((image ?? '').toLowerCase()) ?? {}), cmdSetHere: false };
      if (as?.toLowerCase() === 'as' && alias) stages.set(alias.toLowerCase(), state);
    } else if (keyword === 'WORKDIR') {
      const dir = instruction.args.trim();
      state.workdir = dir.startsWith('/') || state.workdir === undefined ? posix.normalize(dir) : posix.join(state.workdir, dir);
    } else if (keyword === 'CMD' || keyword === 'ENTRYPOINT') {
      const exec = execForm(instruction.args);
      const declared: DockerInstruction = {
        label: keyword,
        line: instruction.line,
        column: instruction.column,
        command: exec ?? ['/bin/sh', '-c', instruction.args],
        written: instruction.args.replace(/\s+/g, ' '),
      };
      if (keyword === 'CMD') {
        state.cmd = declared;
        state.cmdSetHere = true;
      } else {
        state.entrypoint = { ...declared, shellForm: exec === undefined };
        if (!state.cmdSetHere) delete state.cmd;
      }
    }
  }
  const { entrypoint, cmd, workdir } = state;
  if (!entrypoint && !cmd) return undefined;
  const command = entrypoint ? (entrypoint.shellForm ? entrypoint.command : [...entrypoint.command, ...(cmd?.command ?? [])]) : cmd!.command;
  return {
    command,
    ...(entrypoint ? { entrypoint: { label: entrypoint.label, line: entrypoint.line, column: entrypoint.column, command: entrypoint.command, written: entrypoint.written } } : {}),
    ...(cmd && !entrypoint?.shellForm ? { cmd } : {}),
    ...(workdir !== undefined ? { workdir } : {}),
  };
}

function execForm(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Instructions with their continuation lines joined and comment lines dropped, at the line of their keyword. */
function dockerInstructions(text: string): { keyword: string; args: string; line: number; column: number }[] {
  const lines = text.split(/\r?\n/);
  const instructions: { keyword: string; args: string; line: number; column: number }[] = [];
  for (let index = 0; index < lines.length; index++) {
    const first = lines[index]!;
    const match = /^(\s*)([A-Za-z]+)(\s+|$)/.exec(first);
    if (!match || first.trimStart().startsWith('#')) continue;
    const line = index + 1;
    let body = first.slice(match[0].length);
    while (/\\\s*$/.test(body) && index + 1 < lines.length) {
      body = body.replace(/\\\s*$/, ' ');
      index++;
      const next = lines[index]!;
      if (!next.trimStart().startsWith('#')) body += next;
      else body += '\\';
    }
    instructions.push({ keyword: match[2]!, args: body.trim(), line, column: match[1]!.length + 1 });
  }
  return instructions;
}

export interface ProcfileProcess extends DeclaredCommand {
  type: string;
  command: string;
}

/** The process lines of a Procfile (`web: node dist/main.js`). */
export function procfileProcesses(text: string): ProcfileProcess[] {
  const processes: ProcfileProcess[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const match = /^(\s*)([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(line);
    if (!match || !match[3]!.trim()) return;
    processes.push({ type: match[2]!, label: `process "${match[2]}"`, command: match[3]!.trim(), line: index + 1, column: match[1]!.length + 1 });
  });
  return processes;
}

export interface RenderCommand extends DeclaredCommand {
  service: string;
  /** The service's `type` (web, worker, pserv, cron…). */
  type: string;
  key: 'startCommand' | 'dockerCommand';
  command: string;
  /** The service's `rootDir` (monorepos), where its commands run. */
  rootDir: string;
}

export interface RenderBlueprint {
  commands: RenderCommand[];
  /** The `dockerfilePath` of each Docker service, relative to the root. */
  dockerfiles: string[];
}

/** The start commands (`startCommand`, `dockerCommand`) and Dockerfiles of a render.yaml's services. */
export function renderBlueprint(text: string): RenderBlueprint {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const blueprint: RenderBlueprint = { commands: [], dockerfiles: [] };
  const services = document.errors.length === 0 ? document.get('services', true) : undefined;
  if (!isSeq(services)) return blueprint;
  for (const service of services.items) {
    if (!isMap(service)) continue;
    const text = (key: string) => {
      const value = service.get(key);
      return typeof value === 'string' ? value : undefined;
    };
    const name = text('name') ?? '(unnamed)';
    const rootDir = normalizePath(text('rootDir') ?? '');
    const dockerfile = text('dockerfilePath');
    if (dockerfile) blueprint.dockerfiles.push(normalizePath(joinPath(rootDir, dockerfile)));
    for (const pair of service.items) {
      if (!isScalar(pair.key) || (pair.key.value !== 'startCommand' && pair.key.value !== 'dockerCommand')) continue;
      if (!isScalar(pair.value) || typeof pair.value.value !== 'string') continue;
      const key = pair.key.value;
      blueprint.commands.push({
        service: name,
        type: text('type') ?? '',
        key,
        label: `service "${name}" ${key}`,
        command: pair.value.value,
        rootDir,
        ...position(lineCounter, pair),
      });
    }
  }
  return blueprint;
}

function position(lineCounter: LineCounter, pair: Pair): SourcePosition {
  const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
