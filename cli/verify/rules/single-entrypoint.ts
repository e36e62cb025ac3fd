/**
 * One way to start the service: `entrypoint.blessed`. A second way — a main guard in a helper, a
 * server that listens when its module is imported, a Procfile line that runs another file —
 * drifts from the blessed one (no lock, no migrations, no graceful shutdown) and sooner or later
 * runs beside it in production. This rule finds every other start:
 *
 * - in source files (per file, cached): main guards (`import.meta.url` vs `process.argv[1]` in any
 *   spelling, `import.meta.main`, `require.main === module`, `esMain(import.meta)`) and process
 *   starts that run when the module loads (`.listen(`, `bot.start(`/`.launch(`, `run(bot)`,
 *   `Bun.serve(`, `serve(` from `@hono/node-server`);
 * - in the repository (once): start commands in package.json, Dockerfile, Procfile and render.yaml
 *   that do not lead to the blessed file or its build output, retired entrypoints
 *   (`entrypoint.forbidden`) outside the quarantine, and a blessed file that does not exist.
 */
import picomatch from 'picomatch';
import type TS from 'typescript';
import { defineRule, type RepoCheckContext, type TypeScript } from '../rule.js';
import { dottedName, enclosingFunction, unwrapExpression, walk } from '../scan/ast.js';
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
  type CommandTrace,
  type DeclaredCommand,
  type RepositoryReader,
  type TraceOptions,
} from '../start-commands.js';
import { lineOfText, truthValueColumn } from '../truth-column.js';

interface Options {
  /** Globs of files allowed to start a process (tools, benchmarks, scripts). */
  allow: string[];
  /** Leave test files alone: they start servers on purpose. */
  ignoreTests: boolean;
  /** Globs of package.json script names that start the service and must lead to the blessed file. */
  scripts: string[];
}

/** What counts as a test file when `ignoreTests` is on. */
export const TEST_FILES = ['**/*.test.*', '**/*.spec.*', '**/test/**', '**/tests/**', '**/__tests__/**'];

/** Bot receivers by name: `bot`, `telegramBot`, `admin_bot`, `createBot()`; not `robot`. */
const BOT_NAME = /^(?:bot|BOT)$|[a-z0-9]Bot$|_(?:bot|BOT)$/;
/** Classes whose instances are bots (grammY, Telegraf). */
const BOT_CLASS = /^(?:Bot|Telegraf)$/;


export default defineRule<Options>({
  id: 'single-entrypoint',
  description: 'Only entrypoint.blessed starts the process: no other main guard, load-time listen/bot start, start command or retired entrypoint.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: { type: 'array', items: { type: 'string' } },
      ignoreTests: { type: 'boolean' },
      scripts: { type: 'array', items: { type: 'string' } },
    },
  },
  defaultOptions: { allow: [], ignoreTests: true, scripts: ['start', 'start:*', 'serve', 'prod'] },
  // `run(` alone would match every `async run(…)` method; the runner is imported, or given a bot by name.
  prefilter: /\.\s*(?:listen|start|launch|serve)\b|\brun\s*\(\s*[\w$.]*(?:bot|Bot|BOT)\b|import\.meta\.main\b|process\s*\.\s*(?:argv|mainModule)|require\.main|es-main|@grammyjs\/runner|@hono\/node-server/,
  scanFile(ctx) {
    const entrypoint = ctx.truth.entrypoint;
    if (!entrypoint || ctx.file === normalizePath(entrypoint.blessed) || isExempt(ctx.file, ctx.options)) return;
    const { ts, sourceFile } = ctx;
    const blessed = normalizePath(entrypoint.blessed);
    const imports = importedNames(ts, sourceFile);
    const uses = new Map<string, (TS.CallExpression | TS.NewExpression)[]>();
    const botVariables = new Set<string>();
    const startCalls: StartCall[] = [];
    const addUse = (name: string, call: TS.CallExpression | TS.NewExpression) => {
      const list = uses.get(name) ?? [];
      list.push(call);
      uses.set(name, list);
    };

    walk(ts, sourceFile, (node) => {
      if (isMainGuard(ts, node, imports.esMain)) {
        ctx.report({
          node,
          message: `\`${excerpt(node, sourceFile)}\` lets this file run as its own entrypoint; only ${blessed} (entrypoint.blessed) may start the process.`,
          fix: `Remove the guard and start from ${blessed}; if this is a tool or script, add it to verify.rules.single-entrypoint.options.allow.`,
        });
        return false;
      }
      if (ts.isPropertyAccessExpression(node) && isImportMeta(ts, node.expression) && node.name.text === 'main') {
        ctx.report({
          node,
          message: `\`import.meta.main\` lets this file run as its own entrypoint; only ${blessed} (entrypoint.blessed) may start the process.`,
          fix: `Remove the guard and start from ${blessed}; if this is a tool or script, add it to verify.rules.single-entrypoint.options.allow.`,
        });
      }
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isBotConstruction(ts, node.initializer)) {
        botVariables.add(node.name.text);
      }
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        const callee = unwrap(ts, node.expression);
        if (ts.isIdentifier(callee)) addUse(callee.text, node);
        for (const argument of node.arguments ?? []) {
          const value = unwrap(ts, argument);
          if (ts.isIdentifier(value)) addUse(value.text, node);
        }
        if (ts.isCallExpression(node)) {
          const start = startCall(ts, node, imports);
          if (start) startCalls.push(start);
        }
      }
    });

    const loadTime = new LoadTime(ts, uses);
    for (const { call, at, bot } of startCalls) {
      if (bot && !isBotLike(ts, bot, botVariables)) continue;
      const trigger = loadTime.of(call);
      if (!trigger) continue;
      const through = trigger.via
        ? ` (through \`${excerpt(trigger.via, sourceFile)}\` at line ${ctx.position(trigger.via).line})`
        : '';
      ctx.report({
        node: at,
        message: `\`${excerpt(call, sourceFile)}\` starts the process when this module loads${through}; only ${blessed} (entrypoint.blessed) may start it, or two copies of the service end up running.`,
        fix: `Export a function that builds the server or bot and start it from ${blessed}; if this is a tool or script, add it to verify.rules.single-entrypoint.options.allow.`,
      });
    }
  },
  check(ctx) {
    const entrypoint = ctx.truth.entrypoint;
    if (!entrypoint) return;
    const blessed = normalizePath(entrypoint.blessed);
    if (!ctx.exists(blessed)) {
      ctx.report({
        file: ctx.truthFile,
        ...truthValuePosition(ctx, 'blessed'),
        message: `entrypoint.blessed names ${blessed}, which does not exist: nothing is the certified way to start the service.`,
        fix: 'Create it, or point entrypoint.blessed at the file that starts the service.',
      });
    }
    checkForbidden(ctx, entrypoint.forbidden ?? []);
    checkStartCommands(ctx, blessed, entrypoint.command);
  },
});

const exemptMatchers = new WeakMap<Options, (file: string) => boolean>();

/** Whether options exempt a file from the source checks (allowed tool, or test file). */
export function isExempt(file: string, options: Options): boolean {
  let matcher = exemptMatchers.get(options);
  if (!matcher) {
    const globs = [...options.allow, ...(options.ignoreTests ? TEST_FILES : [])];
    matcher = globs.length > 0 ? picomatch(globs, { dot: true }) : () => false;
    exemptMatchers.set(options, matcher);
  }
  return matcher(file);
}

// ---------------------------------------------------------------------------------------------
// Source files.

interface ImportedNames {
  /** Local names of `run` from `@grammyjs/runner`. */
  runner: Set<string>;
  /** Local names of `serve` from `@hono/node-server`. */
  serve: Set<string>;
  /** Local names of the default export of `es-main`. */
  esMain: Set<string>;
}

function importedNames(ts: TypeScript, sourceFile: TS.SourceFile): ImportedNames {
  const names: ImportedNames = { runner: new Set(), serve: new Set(), esMain: new Set() };
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const module = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (module === 'es-main' && clause?.name) names.esMain.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      const imported = (element.propertyName ?? element.name).text;
      if (module === '@grammyjs/runner' && imported === 'run') names.runner.add(element.name.text);
      if (module === '@hono/node-server' && imported === 'serve') names.serve.add(element.name.text);
    }
  }
  return names;
}

/**
 * A main guard: a comparison (`===`, `==`, `!==`, `!=`) of this module's location with the
 * process's main script, or a call whose result is used and whose parts mention both
 * (`import.meta.url.endsWith(process.argv[1])`, `isMain(import.meta.url, process.argv[1])`), or `esMain(import.meta)`.
 */
export function isMainGuard(ts: TypeScript, node: TS.Node, esMain: ReadonlySet<string> = new Set()): boolean {
  if (ts.isBinaryExpression(node) && isEqualityOperator(ts, node.operatorToken.kind)) {
    return (namesThisModule(ts, node.left) && namesMainScript(ts, node.right)) || (namesMainScript(ts, node.left) && namesThisModule(ts, node.right));
  }
  if (!ts.isCallExpression(node) || isDiscarded(ts, node)) return false;
  const callee = unwrap(ts, node.expression);
  if (ts.isIdentifier(callee) && esMain.has(callee.text)) return true;
  const parts = [...(ts.isPropertyAccessExpression(callee) ? [callee.expression] : []), ...node.arguments];
  return parts.some((self, i) => namesThisModule(ts, self) && parts.some((main, j) => i !== j && namesMainScript(ts, main)));
}

function isEqualityOperator(ts: TypeScript, kind: TS.SyntaxKind): boolean {
  const { EqualsEqualsEqualsToken, EqualsEqualsToken, ExclamationEqualsEqualsToken, ExclamationEqualsToken } = ts.SyntaxKind;
  return kind === EqualsEqualsEqualsToken || kind === EqualsEqualsToken || kind === ExclamationEqualsEqualsToken || kind === ExclamationEqualsToken;
}

/** Mentions this module's location: `import.meta.url|filename|dirname`, `__filename`, `__dirname`, or is `module`. */
function namesThisModule(ts: TypeScript, node: TS.Node): boolean {
  const value = unwrap(ts, node);
  if (ts.isIdentifier(value) && value.text === 'module') return true;
  return contains(ts, node, (child) =>
    (ts.isPropertyAccessExpression(child) && isImportMeta(ts, child.expression) && ['url', 'filename', 'dirname'].includes(child.name.text)) ||
    (ts.isIdentifier(child) && (child.text === '__filename' || child.text === '__dirname')),
  );
}

/** Mentions the process's main script: `process.argv[1]`, `process.argv.at(1)`, `require.main`, `process.mainModule`. */
function namesMainScript(ts: TypeScript, node: TS.Node): boolean {
  return contains(ts, node, (child) => {
    if (ts.isElementAccessExpression(child)) {
      return dottedName(ts, child.expression) === 'process.argv' && ts.isNumericLiteral(child.argumentExpression) && child.argumentExpression.text === '1';
    }
    if (ts.isCallExpression(child)) {
      const argument = child.arguments[0];
      return dottedName(ts, child.expression) === 'process.argv.at' && !!argument && ts.isNumericLiteral(argument) && argument.text === '1';
    }
    if (ts.isPropertyAccessExpression(child)) {
      const name = dottedName(ts, child);
      return name === 'require.main' || name === 'process.mainModule';
    }
    return false;
  });
}

function isImportMeta(ts: TypeScript, node: TS.Node): boolean {
  return ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword && node.name.text === 'meta';
}

/** A call whose value nobody looks at (`console.log(import.meta.url, process.argv[1])`) decides nothing. */
function isDiscarded(ts: TypeScript, call: TS.CallExpression): boolean {
  let node: TS.Node = call;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAwaitExpression(node.parent)) node = node.parent;
  return ts.isExpressionStatement(node.parent) || ts.isVoidExpression(node.parent);
}

function contains(ts: TypeScript, node: TS.Node, predicate: (node: TS.Node) => boolean): boolean {
  if (predicate(node)) return true;
  return ts.forEachChild(node, (child) => (contains(ts, child, predicate) ? true : undefined)) ?? false;
}

function unwrap(ts: TypeScript, node: TS.Node): TS.Node {
  return ts.isExpression(node) ? unwrapExpression(ts, node, true) : node;
}

/**
 * A call that starts a process if it runs at load time. `at` is the token to point at; `bot`, when
 * set, is the expression that must be a bot for the call to be a start (`x.start()`, `run(x)`).
 */
interface StartCall {
  call: TS.CallExpression;
  at: TS.Node;
  bot?: TS.Expression;
}

function startCall(ts: TypeScript, call: TS.CallExpression, imports: ImportedNames): StartCall | undefined {
  const callee = unwrap(ts, call.expression);
  if (ts.isPropertyAccessExpression(callee)) {
    const method = callee.name.text;
    if (method === 'listen') return { call, at: callee.name };
    if (method === 'start' || method === 'launch') return { call, at: callee.name, bot: callee.expression };
    if (method === 'serve' && ['Bun', 'Deno'].includes(dottedName(ts, callee.expression) ?? '')) return { call, at: callee.name };
    return undefined;
  }
  if (!ts.isIdentifier(callee)) return undefined;
  if (imports.runner.has(callee.text) || imports.serve.has(callee.text)) return { call, at: callee };
  // `run` not imported from the runner (re-exported, required) still starts a bot when given one.
  const argument = call.arguments[0];
  if (callee.text === 'run' && argument) return { call, at: callee, bot: argument };
  return undefined;
}

function isBotConstruction(ts: TypeScript, node: TS.Node): boolean {
  const value = unwrap(ts, node);
  if (!ts.isNewExpression(value)) return false;
  const constructor = unwrap(ts, value.expression);
  const name = ts.isIdentifier(constructor) ? constructor.text : ts.isPropertyAccessExpression(constructor) ? constructor.name.text : '';
  return BOT_CLASS.test(name);
}

/** A receiver that is a bot: named like one, a variable made by `new Bot(…)`/`new Telegraf(…)` here, or such an expression. */
function isBotLike(ts: TypeScript, expression: TS.Expression, botVariables: ReadonlySet<string>): boolean {
  const value = unwrap(ts, expression);
  if (ts.isIdentifier(value)) return BOT_NAME.test(value.text) || botVariables.has(value.text);
  if (ts.isPropertyAccessExpression(value)) return BOT_NAME.test(value.name.text);
  if (ts.isCallExpression(value)) {
    const callee = unwrap(ts, value.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    return BOT_NAME.test(name);
  }
  return isBotConstruction(ts, value);
}

/**
 * Whether code runs when its module loads, and through which call. Module-level code does; so
 * does the body of a function that load-time code calls (`main()`, `main().catch(…)`), passes as a
 * callback (`connect().then(() => app.listen())`, `setTimeout(start)`) or invokes in place (an IIFE).
 * Functions are matched by name within the file; methods and functions only exported do not run.
 */
export class LoadTime {
  private readonly memo = new Map<TS.Node, { via?: TS.Node } | undefined>();

  constructor(
    private readonly ts: TypeScript,
    private readonly uses: ReadonlyMap<string, readonly (TS.CallExpression | TS.NewExpression)[]>,
  ) {}

  /** Undefined when `node` does not run at load time; `via` is the module-level call that leads to it, if any. */
  of(node: TS.Node): { via?: TS.Node } | undefined {
    const fn = enclosingFunction(this.ts, node);
    return fn ? this.function(fn) : {};
  }

  private function(fn: TS.Node): { via?: TS.Node } | undefined {
    if (this.memo.has(fn)) return this.memo.get(fn);
    // A function that only reaches itself (recursion) does not run at load time through that path.
    this.memo.set(fn, undefined);
    const result = this.trigger(fn);
    this.memo.set(fn, result);
    return result;
  }

  private trigger(fn: TS.Node): { via?: TS.Node } | undefined {
    const { ts } = this;
    if (ts.isFunctionDeclaration(fn)) return fn.name ? this.named(fn.name.text) : undefined;
    if (!ts.isFunctionExpression(fn) && !ts.isArrowFunction(fn)) return undefined;
    let child: TS.Node = fn;
    let parent = fn.parent;
    while (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent) || ts.isNonNullExpression(parent)) {
      child = parent;
      parent = parent.parent;
    }
    if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && (parent.expression === child || parent.arguments?.includes(child as TS.Expression))) {
      return this.of(parent);
    }
    if (ts.isVariableDeclaration(parent) && parent.initializer === child && ts.isIdentifier(parent.name)) return this.named(parent.name.text);
    return undefined;
  }

  private named(name: string): { via?: TS.Node } | undefined {
    for (const use of this.uses.get(name) ?? []) {
      const trigger = this.of(use);
      if (trigger) return { via: trigger.via ?? use };
    }
    return undefined;
  }
}

function excerpt(node: TS.Node, sourceFile: TS.SourceFile): string {
  const text = node.getText(sourceFile).replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Repository.

type CheckContext = RepoCheckContext<Options, never>;

/** Line and column of the value of a key under `entrypoint` in truth.yaml. */
function truthValuePosition(ctx: CheckContext, key: 'blessed' | 'command'): { line: number; column: number } {
  const line = ctx.truthLine(['entrypoint', key]);
  return { line, column: truthValueColumn(lineOfText(ctx.readText(ctx.truthFile), line), key) };
}

function checkForbidden(ctx: CheckContext, forbidden: readonly string[]): void {
  const quarantine = ctx.truth.legacy?.quarantine ? normalizePath(ctx.truth.legacy.quarantine) : undefined;
  for (const listed of forbidden) {
    const path = normalizePath(listed);
    if (!path || ctx.isQuarantined(path)) continue;
    const present = ctx.exists(path) || ctx.listFiles(path).length > 0;
    if (!present) continue;
    ctx.report({
      file: path,
      message: `${path} is a retired entrypoint (entrypoint.forbidden) and exists outside the quarantine: it can be started or imported again.`,
      fix: quarantine ? `Delete it, or move it under ${quarantine}/ if it is kept for reference.` : 'Delete it; keep a copy in the quarantine folder (legacy.quarantine) if it is needed for reference.',
    });
  }
}

/**
 * package.json start scripts, the Dockerfile(s), Procfile and render.yaml must lead to the blessed
 * file. A deploy file may also run `entrypoint.command` itself (the same script, however spelled):
 * whether that command leads there is checked once, where it is defined.
 */
function checkStartCommands(ctx: CheckContext, blessed: string, entrypointCommand: string | undefined): void {
  const reader: RepositoryReader = { exists: (file) => ctx.exists(file), readText: (file) => ctx.readText(file) };
  const runPaths = blessedRunPaths(blessed, readBuildRoots(reader));
  const expected = runPaths.length > 1 ? `${blessed} (or its build output ${runPaths[1]})` : blessed;
  const trace = (command: string | readonly string[], options?: TraceOptions) => traceCommand(command, reader, options);
  const leads = (result: CommandTrace) => result.files.some((file) => runsOneOf(file, runPaths));
  const entryTrace = entrypointCommand === undefined ? undefined : trace(entrypointCommand);
  const isEntrypointCommand = (command: string | readonly string[], result: CommandTrace) => {
    if (!entryTrace || entrypointCommand === undefined) return false;
    const written = typeof command === 'string' ? command : command.join(' ');
    if (collapse(written) === collapse(entrypointCommand)) return true;
    return result.scripts.some((script) => entryTrace.scripts.some((entry) => entry.dir === script.dir && entry.name === script.name));
  };
  const report = (file: string, declared: DeclaredCommand, result: CommandTrace, what: string) =>
    ctx.report({
      file,
      line: declared.line,
      column: declared.column,
      message: `${what} ${describeRun(result)}, not the blessed entrypoint ${expected}: a second way to start the service.`,
      fix: `Make it run ${blessed}${entrypointCommand ? ` or \`${entrypointCommand}\` (entrypoint.command)` : ''}.`,
    });
  const checkDeployCommand = (file: string, declared: DeclaredCommand, what: string, options?: TraceOptions) => {
    const result = trace(declared.command, options);
    if (!leads(result) && !isEntrypointCommand(declared.command, result)) report(file, declared, result, what);
  };

  const scriptNames = ctx.options.scripts.length > 0 ? picomatch(ctx.options.scripts, { dot: true }) : () => false;
  const manifest = ctx.readText('package.json');
  const scripts = manifest === undefined ? [] : packageScripts(manifest);
  for (const script of scripts) {
    if (!scriptNames(script.name)) continue;
    const result = trace(script.command);
    if (!leads(result)) report('package.json', script, result, `The package.json ${script.label} (\`${script.command}\`)`);
  }

  if (entryTrace && entrypointCommand !== undefined && !leads(entryTrace)) {
    const reportedInPackage = entryTrace.scripts.some((ref) => ref.dir === '' && scripts.some((script) => script.name === ref.name && scriptNames(script.name)));
    if (!reportedInPackage) {
      const missing = entryTrace.missingScripts.map((ref) => `"${ref.name}"`);
      ctx.report({
        file: ctx.truthFile,
        ...truthValuePosition(ctx, 'command'),
        message: missing.length > 0
          ? `entrypoint.command \`${entrypointCommand}\` runs the package.json script ${missing.join(', ')}, which is not defined: the service has no working start command.`
          : `entrypoint.command \`${entrypointCommand}\` ${describeRun(entryTrace)}, not the blessed entrypoint ${expected}.`,
        fix: `Define the script in package.json so that it runs ${blessed}, or set entrypoint.command to a command that does.`,
      });
    }
  }

  const blueprint = ctx.exists('render.yaml') ? renderBlueprint(ctx.readText('render.yaml') ?? '') : undefined;
  const dockerfiles = [...new Set(['Dockerfile', 'Containerfile', ...(blueprint?.dockerfiles ?? [])])];
  for (const dockerfile of dockerfiles) {
    const text = ctx.readText(dockerfile);
    const start = text === undefined ? undefined : dockerfileStart(text);
    if (!start) continue;
    const options = start.workdir !== undefined ? { absoluteRoot: start.workdir } : {};
    const result = trace(start.command, options);
    if (leads(result) || isEntrypointCommand(start.command, result)) continue;
    const namesScript = start.entrypoint && trace(start.entrypoint.command, options).files.length > 0;
    const at = namesScript ? start.entrypoint! : (start.cmd ?? start.entrypoint!);
    report(dockerfile, at, result, `The ${dockerfile} ${at.label} (\`${at.written}\`)`);
  }

  const procfile = ctx.readText('Procfile');
  for (const processLine of procfile === undefined ? [] : procfileProcesses(procfile)) {
    // The release phase runs migrations and exits; it does not start the service.
    if (processLine.type === 'release') continue;
    checkDeployCommand('Procfile', processLine, `The Procfile ${processLine.label} (\`${processLine.command}\`)`);
  }

  for (const command of blueprint?.commands ?? []) {
    // A cron job is a scheduled task that exits, not a way to start the service.
    if (command.type === 'cron') continue;
    checkDeployCommand('render.yaml', command, `The render.yaml ${command.label} (\`${command.command}\`)`, { cwd: command.rootDir });
  }
}

function describeRun(result: CommandTrace): string {
  if (result.files.length > 0) return `runs ${result.files.join(', ')}`;
  if (result.missingScripts.length > 0) return `runs the package.json script ${result.missingScripts.map((ref) => `"${ref.name}"`).join(', ')}, which is not defined`;
  return 'runs no JavaScript file trt can trace';
}

function collapse(command: string): string {
  return command.trim().replace(/\s+/g, ' ');
}
