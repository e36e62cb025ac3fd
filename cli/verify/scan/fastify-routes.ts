/**
 * Which routes a Fastify application registers, read from syntax trees without a type checker.
 * Shared by `truth-routes` (the routes against truth.yaml) and `health-contract` (the /health
 * handler against its schema), so that both rules agree on what the application is.
 *
 * Two halves, because the engine caches per-file work and runs repository work once:
 * - {@link scanFastify} reads one file: where Fastify instances live (`Fastify()` results,
 *   parameters typed `FastifyInstance`, plugin parameters), the routes registered on them, the
 *   plugins they register or the functions they hand the instance to, and the functions other
 *   files can import. It records names and positions only: JSON facts, cacheable by content.
 * - {@link composeRoutes} joins the facts of every file: starting from the application's own
 *   instances it follows `register(plugin, { prefix })` and `setup(app)` calls across imports
 *   (through the import graph's resolutions) and composes the full path of every route.
 *
 * @example
 * ```ts
 * // src/server.ts                          // src/routes/admin.ts
 * const app = Fastify();                    export async function adminRoutes(app: FastifyInstance) {
 * app.get('/health', health);                 app.get('/events', listEvents);   // GET /admin/events
 * app.register(adminRoutes, { prefix: '/admin' });   }
 * ```
 */
import picomatch from 'picomatch';
import type TS from 'typescript';
import type { Truth } from '../../core/truth.js';
import type { ImportGraph } from '../graph.js';
import { specifiersIn, type TypeScript } from '../rule.js';
import { constInitializer, propertyNameText, staticString, unwrapExpression, walk } from './ast.js';

/** The method of a route registered with `.all()`: it answers every method. */
export const ANY_METHOD = '*';

const SHORTHAND_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'all']);

/** Files whose Fastify instances are not the product's application by default: tests build their own. */
export const DEFAULT_APP_EXCLUDE = ['**/*.test.*', '**/*.spec.*', '**/__tests__/**', '**/test/**', '**/tests/**'];

/**
 * Cheap text test for the files that hold an application's scopes: they mention Fastify, or
 * call a route or register method. The modules those lead to (a routes barrel, a handler in a
 * file of its own) are described on demand: {@link applicationSeeds}.
 */
// A shorthand registration is recognised by its path literal: `.get(` alone matches every Map read.
export const FASTIFY_PREFILTER = /fastify|\.(?:get|post|put|patch|delete|head|options|all)\s*(?:<[^>]*>)?\(\s*['"`]\/|\.(?:route|register)\s*[<(]/i;

/** A file with Fastify scopes leads to every module its facts name; any other file leads nowhere by itself. */
export function applicationSeeds(fastify: FastifyFacts, fact: unknown = fastify): string[] {
  return fastify.scopes.length > 0 ? [...specifiersIn(fact)] : [];
}

/** A function of this file (by id) or a name imported from another module (`default` for a default import). */
export type FunctionRef = { kind: 'function'; id: string } | { kind: 'import'; specifier: string; name: string };

/** Something that is, or (`viaFactory`) returns, a function: `health`, `makeHealth(deps)`. */
export interface Callable {
  ref: FunctionRef;
  viaFactory: boolean;
}

export interface FunctionFact {
  /** `line:column` of the function in its file. */
  id: string;
  /** For messages: the function's name, or `default`, or `anonymous`. */
  name: string;
  /** Names other modules import it by (`default` for the default export). */
  exportNames: string[];
  /** Wrapped in fastify-plugin where it is defined or exported: Fastify ignores the `prefix` option for it. */
  skipsPrefix: boolean;
  /** Functions written out in its body that it returns (for factories: `makePlugin(deps)` returns a plugin). */
  returnsFunctions: string[];
}

export interface ReExportFact {
  exportName: string;
  specifier: string;
  importedName: string;
}

/** A Fastify instance: created here (`instance`) or received as a function's parameter. */
export interface ScopeFact {
  id: string;
  kind: 'instance' | 'parameter';
  functionId?: string;
  paramIndex?: number;
  /** Known to be a Fastify instance on its own (created by `Fastify()`, typed `FastifyInstance`). */
  certain: boolean;
}

export interface RouteFact {
  scope: string;
  /** Upper case; {@link ANY_METHOD} for `.all()`; empty when the method is not a static value. */
  methods: string[];
  /** The path as written; null when it is not a static string. */
  path: string | null;
  line: number;
  column: number;
  handler?: Callable;
}

/** An instance handed to a function: `register(plugin, { prefix })` or a plain call `setupRoutes(app)`. */
export interface MountFact {
  scope: string;
  via: 'register' | 'call';
  target: Callable;
  /** Which parameter of the target receives the instance. */
  paramIndex: number;
  /** '' when none is given; null when it is not a static string. */
  prefix: string | null;
  /** The plugin is wrapped in fastify-plugin at the register call. */
  skipsPrefix: boolean;
  line: number;
  column: number;
}

export interface FastifyFacts {
  functions: FunctionFact[];
  reExports: ReExportFact[];
  scopes: ScopeFact[];
  routes: RouteFact[];
  mounts: MountFact[];
}

type Binding = { kind: 'import'; specifier: string; name: string } | { kind: 'node'; node: TS.Node };

/**
 * One file's view of names and functions, kept after {@link scanFastify} so that other scans
 * (the health handler's body) resolve names the same way and add to the same function table.
 */
export interface FastifyFileModel {
  readonly facts: FastifyFacts;
  /** What an expression names as a function: `health`, `makeHealth(deps)`, an arrow, `fp(plugin)`. */
  callableOf(expression: TS.Node): (Callable & { skipsPrefix: boolean }) | undefined;
  /** The function node behind an id this model handed out. */
  functionNode(id: string): TS.SignatureDeclaration | undefined;
  /** The declaration an identifier refers to, by walking up its scopes. */
  bindingOf(identifier: TS.Identifier): Binding | undefined;
}

/**
 * The facts of each tree as {@link scanFastify} first left them. Later look-ups through a model
 * (`callableOf` while describing bodies or texts) add functions to its table, so a rule that only
 * records the facts takes this copy instead of scanning the same tree once more.
 */
const scannedFacts = new WeakMap<TS.SourceFile, FastifyFacts>();

/** {@link scanFastify}'s facts for a tree, as scanned: shared by every caller, never to be modified. */
export function fastifyFactsOf(
  ts: TypeScript,
  sourceFile: TS.SourceFile,
  position: (at: TS.Node) => { line: number; column: number },
): FastifyFacts {
  const known = scannedFacts.get(sourceFile);
  if (known) return known;
  scanFastify(ts, sourceFile, position);
  return scannedFacts.get(sourceFile)!;
}

export function scanFastify(
  ts: TypeScript,
  sourceFile: TS.SourceFile,
  position: (at: TS.Node) => { line: number; column: number },
): FastifyFileModel {
  const model = buildFastifyModel(ts, sourceFile, position);
  if (!scannedFacts.has(sourceFile)) {
    const { functions, reExports, scopes, routes, mounts } = model.facts;
    scannedFacts.set(sourceFile, { functions: [...functions], reExports: [...reExports], scopes: [...scopes], routes: [...routes], mounts: [...mounts] });
  }
  return model;
}

function buildFastifyModel(
  ts: TypeScript,
  sourceFile: TS.SourceFile,
  position: (at: TS.Node) => { line: number; column: number },
): FastifyFileModel {
  const facts: FastifyFacts = { functions: [], reExports: [], scopes: [], routes: [], mounts: [] };
  const imports = new Map<string, { specifier: string; name: string }>();
  const fastifyFactories = new Set<string>();
  const pluginWrappers = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || !statement.importClause) continue;
    const specifier = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    const names: [string, string][] = [];
    if (clause.name) names.push([clause.name.text, 'default']);
    if (clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
      for (const element of clause.namedBindings.elements) names.push([element.name.text, (element.propertyName ?? element.name).text]);
    }
    for (const [local, imported] of names) {
      imports.set(local, { specifier, name: imported });
      if (specifier === 'fastify' && (imported === 'default' || imported === 'fastify')) fastifyFactories.add(local);
      if (specifier === 'fastify-plugin') pluginWrappers.add(local);
    }
  }

  const isPluginWrap = (node: TS.Node): node is TS.CallExpression =>
    ts.isCallExpression(node) && ts.isIdentifier(node.expression) && pluginWrappers.has(node.expression.text) && node.arguments.length > 0;

  // Export names by function node, gathered before any function gets an id.
  const exportsOf = new Map<TS.Node, { names: string[]; skipsPrefix: boolean }>();
  const addExport = (fn: TS.Node | undefined, name: string, skipsPrefix: boolean) => {
    if (!fn) return;
    const entry = exportsOf.get(fn) ?? { names: [], skipsPrefix: false };
    if (!entry.names.includes(name)) entry.names.push(name);
    entry.skipsPrefix ||= skipsPrefix;
    exportsOf.set(fn, entry);
  };
  const definedFunction = (expression: TS.Node | undefined): { fn: TS.Node; skipsPrefix: boolean } | undefined => {
    if (!expression) return undefined;
    const inner = unwrap(ts, expression);
    if (ts.isArrowFunction(inner) || ts.isFunctionExpression(inner)) return { fn: inner, skipsPrefix: false };
    if (isPluginWrap(inner)) {
      const wrapped = definedFunction(inner.arguments[0]);
      return wrapped && { fn: wrapped.fn, skipsPrefix: true };
    }
    if (ts.isIdentifier(inner)) {
      const binding = bindingOf(inner);
      if (binding?.kind !== 'node') return undefined;
      if (ts.isFunctionDeclaration(binding.node)) return { fn: binding.node, skipsPrefix: false };
      if (ts.isVariableDeclaration(binding.node)) return definedFunction(binding.node.initializer);
    }
    return undefined;
  };
  const hasModifier = (node: TS.Node, kind: TS.SyntaxKind) =>
    (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some((modifier) => modifier.kind === kind) ?? false;

  for (const statement of sourceFile.statements) {
    const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
    if (ts.isFunctionDeclaration(statement) && exported) {
      const isDefault = hasModifier(statement, ts.SyntaxKind.DefaultKeyword);
      addExport(statement, isDefault ? 'default' : (statement.name?.text ?? 'default'), false);
    } else if (ts.isVariableStatement(statement) && exported) {
      for (const declaration of statement.declarationList.declarations) {
        const defined = ts.isIdentifier(declaration.name) ? definedFunction(declaration.initializer) : undefined;
        if (defined && ts.isIdentifier(declaration.name)) addExport(defined.fn, declaration.name.text, defined.skipsPrefix);
      }
    } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      const defined = definedFunction(statement.expression);
      if (defined) addExport(defined.fn, 'default', defined.skipsPrefix);
    } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        const local = (element.propertyName ?? element.name).text;
        if (statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
          facts.reExports.push({ exportName: element.name.text, specifier: statement.moduleSpecifier.text, importedName: local });
        } else if (imports.has(local)) {
          const imported = imports.get(local)!;
          facts.reExports.push({ exportName: element.name.text, specifier: imported.specifier, importedName: imported.name });
        } else {
          const defined = moduleFunction(local);
          if (defined) addExport(defined.fn, element.name.text, defined.skipsPrefix);
        }
      }
    }
  }

  function moduleFunction(name: string): { fn: TS.Node; skipsPrefix: boolean } | undefined {
    for (const statement of sourceFile.statements) {
      if (ts.isFunctionDeclaration(statement) && statement.name?.text === name) return { fn: statement, skipsPrefix: false };
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.name.text === name) return definedFunction(declaration.initializer);
        }
      }
    }
    return undefined;
  }

  function bindingOf(identifier: TS.Identifier): Binding | undefined {
    const name = identifier.text;
    for (let scope: TS.Node | undefined = identifier.parent; scope; scope = scope.parent) {
      if (ts.isFunctionLike(scope)) {
        const parameter = scope.parameters.find((candidate) => ts.isIdentifier(candidate.name) && candidate.name.text === name);
        if (parameter) return { kind: 'node', node: parameter };
      }
      const statements = ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) ? scope.statements : undefined;
      for (const statement of statements ?? []) {
        if (ts.isFunctionDeclaration(statement) && statement.name?.text === name) return { kind: 'node', node: statement };
        if (ts.isVariableStatement(statement)) {
          const declaration = statement.declarationList.declarations.find((candidate) => ts.isIdentifier(candidate.name) && candidate.name.text === name);
          if (declaration) return { kind: 'node', node: declaration };
        }
      }
      if (ts.isSourceFile(scope) && imports.has(name)) return { kind: 'import', ...imports.get(name)! };
    }
    return undefined;
  }

  const functionIds = new Map<TS.Node, string>();
  const functionsById = new Map<string, TS.SignatureDeclaration>();
  function functionId(fn: TS.SignatureDeclaration): string {
    const known = functionIds.get(fn);
    if (known) return known;
    const { line, column } = position(fn);
    const id = `${line}:${column}`;
    functionIds.set(fn, id);
    functionsById.set(id, fn);
    const exported = exportsOf.get(fn);
    const fact: FunctionFact = { id, name: functionName(ts, fn), exportNames: exported?.names ?? [], skipsPrefix: exported?.skipsPrefix ?? false, returnsFunctions: [] };
    facts.functions.push(fact);
    fact.returnsFunctions = returnedFunctions(fn).map(functionId);
    return id;
  }

  function returnedFunctions(fn: TS.SignatureDeclaration): TS.SignatureDeclaration[] {
    const body = (fn as TS.FunctionLikeDeclaration).body;
    if (!body) return [];
    const returned: TS.Node[] = [];
    if (!ts.isBlock(body)) returned.push(body);
    else {
      walk(ts, body, (node) => {
        if (ts.isFunctionLike(node)) return false;
        if (ts.isReturnStatement(node) && node.expression) returned.push(node.expression);
        return undefined;
      });
    }
    return returned.flatMap((expression) => {
      const inner = unwrap(ts, expression);
      if (ts.isArrowFunction(inner) || ts.isFunctionExpression(inner)) return [inner];
      if (ts.isIdentifier(inner)) {
        const binding = bindingOf(inner);
        if (binding?.kind === 'node' && ts.isFunctionDeclaration(binding.node)) return [binding.node];
        if (binding?.kind === 'node' && ts.isVariableDeclaration(binding.node)) {
          const defined = definedFunction(binding.node.initializer);
          if (defined && ts.isFunctionLike(defined.fn)) return [defined.fn];
        }
      }
      return [];
    });
  }

  function callableOf(expression: TS.Node): (Callable & { skipsPrefix: boolean }) | undefined {
    const inner = unwrap(ts, expression);
    if (ts.isArrowFunction(inner) || ts.isFunctionExpression(inner) || ts.isMethodDeclaration(inner) || ts.isFunctionDeclaration(inner)) {
      return { ref: { kind: 'function', id: functionId(inner) }, viaFactory: false, skipsPrefix: false };
    }
    if (isPluginWrap(inner)) {
      const wrapped = callableOf(inner.arguments[0]!);
      return wrapped && { ...wrapped, skipsPrefix: true };
    }
    if (ts.isCallExpression(inner)) {
      // `register(import('./routes.js'))`: Fastify registers the module's default export.
      if (inner.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const specifier = staticString(ts, inner.arguments[0]);
        return specifier === undefined ? undefined : { ref: { kind: 'import', specifier, name: 'default' }, viaFactory: false, skipsPrefix: false };
      }
      const factory = callableOf(inner.expression);
      return factory && !factory.viaFactory ? { ...factory, viaFactory: true } : undefined;
    }
    if (ts.isIdentifier(inner)) {
      const binding = bindingOf(inner);
      if (!binding) return undefined;
      if (binding.kind === 'import') return { ref: { kind: 'import', specifier: binding.specifier, name: binding.name }, viaFactory: false, skipsPrefix: false };
      if (ts.isFunctionDeclaration(binding.node)) return callableOf(binding.node);
      if (ts.isVariableDeclaration(binding.node) && binding.node.initializer && isConstDeclaration(ts, binding.node)) return callableOf(binding.node.initializer);
    }
    return undefined;
  }

  const scopesByNode = new Map<TS.Node, ScopeFact>();
  function scopeFor(node: TS.Node, certain: boolean): ScopeFact {
    const known = scopesByNode.get(node);
    if (known) {
      known.certain ||= certain;
      return known;
    }
    const { line, column } = position(node);
    let scope: ScopeFact;
    if (ts.isParameter(node)) {
      const fn = node.parent;
      const functionIdOf = functionId(fn);
      const paramIndex = fn.parameters.indexOf(node);
      scope = { id: `${functionIdOf}#${paramIndex}`, kind: 'parameter', functionId: functionIdOf, paramIndex, certain };
    } else {
      scope = { id: `${line}:${column}`, kind: 'instance', certain };
    }
    scopesByNode.set(node, scope);
    facts.scopes.push(scope);
    return scope;
  }

  const isFastifyType = (type: TS.TypeNode | undefined, names: readonly string[]): boolean =>
    !!type && ts.isTypeReferenceNode(type) && names.includes(typeReferenceName(ts, type.typeName));
  const isFastifyCreation = (expression: TS.Expression | undefined): boolean => {
    if (!expression) return false;
    const inner = unwrap(ts, expression);
    if (!ts.isCallExpression(inner)) return false;
    if (ts.isIdentifier(inner.expression)) return fastifyFactories.has(inner.expression.text);
    // `Fastify().withTypeProvider<T>()` and similar chains still return the instance.
    return ts.isPropertyAccessExpression(inner.expression) && isFastifyCreation(inner.expression.expression);
  };
  /** The declaration of a Fastify instance, known on its own (not from how it is used). */
  const isCertainInstance = (node: TS.Node): boolean => {
    if (ts.isVariableDeclaration(node)) return isFastifyType(node.type, ['FastifyInstance']) || isFastifyCreation(node.initializer);
    // Parameters of signatures without a body (function types, overloads, interfaces) hold no instance.
    if (!ts.isParameter(node) || !hasBody(ts, node.parent)) return false;
    if (isFastifyType(node.type, ['FastifyInstance'])) return true;
    const fn = node.parent;
    if (fn.parameters[0] !== node || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
    const holder = fn.parent;
    if (isPluginWrap(holder)) return true;
    return ts.isVariableDeclaration(holder) && isFastifyType(holder.type, ['FastifyPluginAsync', 'FastifyPluginCallback', 'FastifyPlugin']);
  };

  /** The Fastify instance a call is made on: `app.get(…)`, `app.get(…).post(…)`, `instance.register(…)`. */
  const receiverScope = (receiver: TS.Expression, looksLikeRoute: boolean): ScopeFact | undefined => {
    const inner = unwrap(ts, receiver);
    if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && isInstanceMethod(inner.expression.name.text)) {
      return receiverScope(inner.expression.expression, looksLikeRoute);
    }
    if (!ts.isIdentifier(inner)) return undefined;
    const binding = bindingOf(inner);
    if (binding?.kind !== 'node') return undefined;
    const certain = isCertainInstance(binding.node);
    if (certain || scopesByNode.has(binding.node)) return scopeFor(binding.node, certain);
    // An untyped parameter counts once it is used like a Fastify instance; it only matters if a
    // Fastify instance is handed to that function somewhere (composeRoutes follows mounts).
    return looksLikeRoute && ts.isParameter(binding.node) ? scopeFor(binding.node, false) : undefined;
  };

  const instanceCalls: (TS.CallExpression & { expression: TS.PropertyAccessExpression })[] = [];
  walk(ts, sourceFile, (node) => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node)) && isCertainInstance(node)) scopeFor(node, true);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && isInstanceMethod(node.expression.name.text)) {
      instanceCalls.push(node as TS.CallExpression & { expression: TS.PropertyAccessExpression });
    }
  });
  // Calls that look like routes first: they decide which untyped parameters are instances, so
  // that the other calls on those parameters count whatever their order in the file.
  const looksLikeRoute = (node: TS.CallExpression & { expression: TS.PropertyAccessExpression }): boolean => {
    const method = node.expression.name.text;
    const first = node.arguments[0] && unwrap(ts, node.arguments[0]);
    if (SHORTHAND_METHODS.has(method)) return node.arguments.length >= 2 && (staticPath(node.arguments[0]!)?.startsWith('/') ?? false);
    if (method === 'route') return !!first && ts.isObjectLiteralExpression(first) && !!(propertyOf(first, 'url') ?? propertyOf(first, 'path'));
    return !!first && !!callableOf(first);
  };
  for (const node of instanceCalls) if (looksLikeRoute(node)) receiverScope(node.expression.expression, true);
  for (const node of instanceCalls) {
    const method = node.expression.name.text;
    const receiver = node.expression.expression;
    if (SHORTHAND_METHODS.has(method)) {
      const [pathArgument] = node.arguments;
      if (!pathArgument || node.arguments.length < 2) continue;
      const path = staticPath(pathArgument);
      const scope = receiverScope(receiver, false);
      if (!scope) continue;
      addRoute(scope, [method === 'all' ? ANY_METHOD : method.toUpperCase()], path, pathArgument, shorthandHandler(node.arguments));
    } else if (method === 'route') {
      const options = node.arguments[0] && unwrap(ts, node.arguments[0]);
      if (!options || !ts.isObjectLiteralExpression(options)) continue;
      const urlExpression = propertyOf(options, 'url') ?? propertyOf(options, 'path');
      const scope = urlExpression && receiverScope(receiver, false);
      if (!scope || !urlExpression) continue;
      addRoute(scope, routeMethods(propertyOf(options, 'method')), staticPath(urlExpression), urlExpression, handlerProperty(options));
    } else if (method === 'register') {
      const [pluginArgument, options] = node.arguments;
      const target = pluginArgument && callableOf(pluginArgument);
      const scope = target && receiverScope(receiver, false);
      if (!scope || !target) continue;
      facts.mounts.push({
        scope: scope.id,
        via: 'register',
        target: { ref: target.ref, viaFactory: target.viaFactory },
        paramIndex: 0,
        prefix: registerPrefix(options),
        skipsPrefix: target.skipsPrefix,
        ...position(node.expression.name),
      });
      // A plugin written inline is a Fastify instance's scope even before it registers anything.
      const inner = unwrap(ts, pluginArgument);
      const inline = isPluginWrap(inner) ? unwrap(ts, inner.arguments[0]!) : inner;
      if ((ts.isArrowFunction(inline) || ts.isFunctionExpression(inline)) && inline.parameters[0]) scopeFor(inline.parameters[0], true);
    }
  }

  // Plain calls that hand a known instance to a function: `registerHealth(app, deps)`.
  if (facts.scopes.length > 0) {
    walk(ts, sourceFile, (node) => {
      if (!ts.isCallExpression(node) || !ts.isIdentifier(unwrap(ts, node.expression))) return;
      node.arguments.forEach((argument, index) => {
        const inner = unwrap(ts, argument);
        if (!ts.isIdentifier(inner)) return;
        const binding = bindingOf(inner);
        const scope = binding?.kind === 'node' ? scopesByNode.get(binding.node) : undefined;
        if (!scope) return;
        const target = callableOf(node.expression);
        if (!target || target.viaFactory) return;
        facts.mounts.push({ scope: scope.id, via: 'call', target: { ref: target.ref, viaFactory: false }, paramIndex: index, prefix: '', skipsPrefix: false, ...position(node) });
      });
    });
  }

  // Exported functions are tabled so that other files can find them by name.
  for (const fn of exportsOf.keys()) if (ts.isFunctionLike(fn)) functionId(fn);

  function addRoute(scope: ScopeFact, methods: string[], path: string | null, at: TS.Node, handlerExpression: TS.Node | undefined): void {
    const handler = handlerExpression && callableOf(handlerExpression);
    facts.routes.push({ scope: scope.id, methods, path, ...position(at), ...(handler ? { handler: { ref: handler.ref, viaFactory: handler.viaFactory } } : {}) });
  }

  function staticPath(expression: TS.Node): string | null {
    const text = staticString(ts, expression);
    if (text !== undefined) return text;
    const inner = unwrap(ts, expression);
    return ts.isIdentifier(inner) ? (staticString(ts, constInitializer(ts, inner)) ?? null) : null;
  }

  function propertyOf(object: TS.ObjectLiteralExpression, name: string): TS.Node | undefined {
    for (const property of object.properties) {
      if (!property.name || propertyNameText(ts, property.name) !== name) continue;
      if (ts.isPropertyAssignment(property)) return property.initializer;
      if (ts.isShorthandPropertyAssignment(property)) return property.name;
      if (ts.isMethodDeclaration(property)) return property;
    }
    return undefined;
  }

  function handlerProperty(object: TS.ObjectLiteralExpression): TS.Node | undefined {
    return propertyOf(object, 'handler');
  }

  /** `get(path, handler)`, `get(path, options, handler)`, or `get(path, { handler })`. */
  function shorthandHandler(args: TS.NodeArray<TS.Expression>): TS.Node | undefined {
    if (args.length >= 3) return args[args.length - 1];
    const second = args[1] && unwrap(ts, args[1]);
    return second && ts.isObjectLiteralExpression(second) ? handlerProperty(second) : second;
  }

  function routeMethods(expression: TS.Node | undefined): string[] {
    if (!expression) return [];
    const single = staticPath(expression);
    if (single !== null) return [single.toUpperCase()];
    const inner = unwrap(ts, expression);
    if (!ts.isArrayLiteralExpression(inner)) return [];
    const methods = inner.elements.map((element) => staticPath(element));
    return methods.every((method): method is string => method !== null) ? methods.map((method) => method.toUpperCase()) : [];
  }

  function registerPrefix(options: TS.Expression | undefined): string | null {
    if (!options) return '';
    const inner = unwrap(ts, options);
    if (!ts.isObjectLiteralExpression(inner)) return null;
    if (inner.properties.some((property) => ts.isSpreadAssignment(property))) return null;
    const prefix = propertyOf(inner, 'prefix');
    return prefix === undefined ? '' : staticPath(prefix);
  }

  return { facts, callableOf, functionNode: (id) => functionsById.get(id), bindingOf };
}

/** Whether a file takes part in an application: it holds an instance or plugin, or re-exports names. */
export function hasFastifyFacts(facts: FastifyFacts): boolean {
  return facts.scopes.length > 0 || facts.reExports.length > 0;
}

function hasBody(ts: TypeScript, fn: TS.SignatureDeclaration): boolean {
  return (ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isArrowFunction(fn) || ts.isMethodDeclaration(fn) || ts.isConstructorDeclaration(fn)) && !!fn.body;
}

function isInstanceMethod(name: string): boolean {
  return SHORTHAND_METHODS.has(name) || name === 'route' || name === 'register';
}

function isConstDeclaration(ts: TypeScript, declaration: TS.VariableDeclaration): boolean {
  return ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0;
}

function typeReferenceName(ts: TypeScript, name: TS.EntityName): string {
  return ts.isIdentifier(name) ? name.text : name.right.text;
}

function functionName(ts: TypeScript, fn: TS.SignatureDeclaration): string {
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name))) return fn.name.text;
  const holder = fn.parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  if (ts.isPropertyAssignment(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  return 'anonymous';
}

/** The expression inside parentheses, `as`, `satisfies`, `!`, `<T>` and `await`. */
export function unwrap(ts: TypeScript, node: TS.Node): TS.Node {
  return ts.isExpression(node) ? unwrapExpression(ts, node, true) : node;
}

// ---------------------------------------------------------------------------------------------
// Repository side: composing the application's routes from every file's facts.

/** A route of the application with its full path, where it is registered, and its handler. */
export interface AppRoute {
  method: string;
  /** The full path; null when a part of it (path or a prefix) is not a static string. */
  path: string | null;
  file: string;
  line: number;
  column: number;
  handler?: { file: string; callable: Callable };
}

export interface FastifyApp {
  /** False when the files in scope hold no Fastify application: the rules pass vacuously. */
  found: boolean;
  routes: AppRoute[];
}

/** A function found across files: its file and its facts. */
export interface ResolvedFunction {
  file: string;
  fn: FunctionFact;
}

/** Per-file facts, indexed for lookups by id and name. */
export class FastifyIndex {
  private readonly byFile = new Map<string, FastifyFacts>();

  constructor(
    facts: readonly { file: string; fact: FastifyFacts }[],
    private readonly graph: ImportGraph,
  ) {
    for (const { file, fact } of facts) this.byFile.set(file, fact);
  }

  files(): string[] {
    return [...this.byFile.keys()];
  }

  factsOf(file: string): FastifyFacts | undefined {
    return this.byFile.get(file);
  }

  /** The function a reference leads to, following imports and re-exports through the graph. */
  resolveFunction(file: string, ref: FunctionRef, depth = 0): ResolvedFunction | undefined {
    if (ref.kind === 'function') {
      const fn = this.byFile.get(file)?.functions.find((candidate) => candidate.id === ref.id);
      return fn && { file, fn };
    }
    if (depth > 8) return undefined;
    const edges = this.graph.edgesFrom(file).filter((edge) => edge.specifier === ref.specifier && edge.resolution.kind === 'local');
    const edge = edges.find((candidate) => !candidate.typeOnly) ?? edges[0];
    if (!edge || edge.resolution.kind !== 'local') return undefined;
    const target = edge.resolution.target;
    const facts = this.byFile.get(target);
    if (!facts) return undefined;
    const fn = facts.functions.find((candidate) => candidate.exportNames.includes(ref.name));
    if (fn) return { file: target, fn };
    const reExport = facts.reExports.find((candidate) => candidate.exportName === ref.name);
    return reExport && this.resolveFunction(target, { kind: 'import', specifier: reExport.specifier, name: reExport.importedName }, depth + 1);
  }

  /** The functions a callable stands for: itself, or what its factory returns. */
  resolveCallable(file: string, callable: Callable): ResolvedFunction[] {
    const resolved = this.resolveFunction(file, callable.ref);
    if (!resolved) return [];
    if (!callable.viaFactory) return [resolved];
    return resolved.fn.returnsFunctions.flatMap((id) => {
      const fn = this.byFile.get(resolved.file)?.functions.find((candidate) => candidate.id === id);
      return fn ? [{ file: resolved.file, fn }] : [];
    });
  }

  scope(file: string, id: string): ScopeFact | undefined {
    return this.byFile.get(file)?.scopes.find((scope) => scope.id === id);
  }
}

export interface ComposeOptions {
  truth: Truth;
  /** Files (globs) whose Fastify instances are not the application: {@link DEFAULT_APP_EXCLUDE}. */
  exclude: readonly string[];
}

/**
 * The application's routes with their full paths. The application starts at the Fastify
 * instances of the files the blessed entrypoint reaches (all files when truth.yaml names none;
 * none when it names one that does not exist yet), outside `exclude`; plugin functions whose
 * parameter is typed `FastifyInstance` also count when nothing registers them, at the root.
 */
export function composeRoutes(index: FastifyIndex, graph: ImportGraph, options: ComposeOptions): FastifyApp {
  const inApp = applicationFiles(graph, options);
  const key = (file: string, scope: string) => `${file}#${scope}`;

  const mounted = new Set<string>();
  const mountTargets = (file: string, mount: MountFact) =>
    index.resolveCallable(file, mount.target).flatMap((target) => {
      const scope = index.scope(target.file, `${target.fn.id}#${mount.paramIndex}`);
      return scope ? [{ file: target.file, fn: target.fn, scope }] : [];
    });
  for (const file of index.files()) {
    for (const mount of index.factsOf(file)!.mounts) {
      for (const target of mountTargets(file, mount)) mounted.add(key(target.file, target.scope.id));
    }
  }

  const roots: { file: string; scope: ScopeFact }[] = [];
  for (const file of index.files()) {
    if (!inApp(file)) continue;
    for (const scope of index.factsOf(file)!.scopes) {
      if (scope.certain && (scope.kind === 'instance' || !mounted.has(key(file, scope.id)))) roots.push({ file, scope });
    }
  }

  const routes: AppRoute[] = [];
  const seen = new Set<string>();
  const visit = (file: string, scope: ScopeFact, prefix: string | null, stack: readonly string[]): void => {
    const here = key(file, scope.id);
    if (stack.includes(here)) return;
    const facts = index.factsOf(file)!;
    for (const route of facts.routes.filter((candidate) => candidate.scope === scope.id)) {
      const path = route.path === null || prefix === null ? null : joinRoutePath(prefix, route.path);
      for (const method of route.methods.length > 0 ? route.methods : ['?']) {
        const entry: AppRoute = { method, path, file, line: route.line, column: route.column, ...(route.handler ? { handler: { file, callable: route.handler } } : {}) };
        const id = `${method} ${path} ${file}:${route.line}:${route.column}`;
        if (seen.has(id)) continue;
        seen.add(id);
        routes.push(entry);
      }
    }
    for (const mount of facts.mounts.filter((candidate) => candidate.scope === scope.id)) {
      for (const target of mountTargets(file, mount)) {
        const keepsPrefix = mount.via === 'call' || mount.skipsPrefix || target.fn.skipsPrefix;
        const next = keepsPrefix ? prefix : prefix === null || mount.prefix === null ? null : joinPrefix(prefix, mount.prefix);
        visit(target.file, target.scope, next, [...stack, here]);
      }
    }
  };
  for (const root of roots) visit(root.file, root.scope, '', []);
  // A helper typed `FastifyInstance` alone is no application: an instance or a route is.
  return { found: roots.some((root) => root.scope.kind === 'instance') || routes.length > 0, routes };
}

/** Which files may hold the application's own Fastify instances. */
function applicationFiles(graph: ImportGraph, options: ComposeOptions): (file: string) => boolean {
  const excluded = options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : () => false;
  const entry = options.truth.entrypoint?.blessed?.replace(/^\.\//, '');
  if (!entry) return (file) => !excluded(file);
  const reached = new Set<string>();
  if (graph.files.includes(entry)) {
    const pending = [entry];
    reached.add(entry);
    while (pending.length > 0) {
      for (const edge of graph.edgesFrom(pending.pop()!)) {
        if (edge.typeOnly || edge.resolution.kind !== 'local' || reached.has(edge.resolution.target)) continue;
        reached.add(edge.resolution.target);
        pending.push(edge.resolution.target);
      }
    }
  }
  return (file) => reached.has(file) && !excluded(file);
}

/** Fastify's `buildRoutePrefix`: one slash between an instance's prefix and a plugin's. */
export function joinPrefix(instancePrefix: string, pluginPrefix: string): string {
  if (!pluginPrefix) return instancePrefix;
  if (instancePrefix.endsWith('/') && pluginPrefix.startsWith('/')) return instancePrefix + pluginPrefix.slice(1);
  return instancePrefix + (pluginPrefix.startsWith('/') ? pluginPrefix : `/${pluginPrefix}`);
}

/**
 * A route's full path under a prefix, as Fastify builds it. Fastify registers `'/'` under a
 * prefix both as the bare prefix and with a trailing slash (unless `ignoreTrailingSlash`); trt
 * keeps the bare prefix (`/admin` + `/` → `/admin`), the form a truth file declares.
 */
export function joinRoutePath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '/' || path === '') return prefix;
  if (path.startsWith('/') && prefix.endsWith('/')) return prefix + path.slice(1);
  return prefix + path;
}
