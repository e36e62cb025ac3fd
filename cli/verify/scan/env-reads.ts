/**
 * Where code touches environment variables: the one extractor behind `forbidden-env` and
 * `undeclared-env`, so that both rules agree on what counts as reading a variable.
 *
 * Recognised, on `process.env` (also `process?.env`, `globalThis.process.env`, `global.process.env`)
 * and on `import.meta.env`:
 * - member reads `env.X`, `env?.X`, `env['X']`, ``env[`X`]``;
 * - presence tests `'X' in env`, `Object.hasOwn(env, 'X')`, `env.hasOwnProperty('X')`,
 *   `Object.prototype.hasOwnProperty.call(env, 'X')`, `Reflect.has(env, 'X')`, `Reflect.get(env, 'X')`:
 *   asking whether a variable is set is depending on it;
 * - destructuring `const { X, Y: y = 'd', ['Z']: z } = env`, also in a parameter's default and in
 *   an assignment `({ X } = env)`, and through `const { env } = process` / `const { env: { X } } = process`;
 * - the `process` module: `import { env } from 'node:process'`, `require('process').env`;
 * - aliases: a variable or parameter initialised with the env object (`const env = process.env`,
 *   `function f(env = process.env)`), or a parameter typed `NodeJS.ProcessEnv`, read in the scope
 *   it is declared in (an inner declaration of the same name shadows it);
 * - writes `env.X = …` and `delete env.X`, flagged as writes so that each rule decides.
 *
 * Whole-object uses (`{ ...process.env }`, `Object.keys(process.env)`, passing it to a child
 * process) read no particular variable and are not reported. A computed key (`process.env[name]`)
 * is returned without a name: the variable cannot be known statically.
 */
import type TS from 'typescript';
import type { TypeScript } from '../rule.js';
import { dottedName, staticString, walk } from './ast.js';

export type EnvSource = 'process.env' | 'import.meta.env';

export interface EnvRead {
  /** The variable, or undefined when the key is computed at run time (`process.env[name]`). */
  name: string | undefined;
  /** Text offset of the variable's name (inside the quotes of a string key), or of the computed key expression. */
  pos: number;
  /** `write` for `env.X = …` and `delete env.X`: the code sets the variable rather than depending on it. */
  access: 'read' | 'write';
  source: EnvSource;
}

/**
 * Text that any recognised read needs: `process.env`, `import.meta.env`, a `ProcessEnv` type,
 * `env` destructured from `process` / `import.meta`, or the `process` module named as a string.
 * Files without it are skipped unparsed.
 */
export const ENV_READ_PREFILTER =
  /\bprocess\s*(?:\?\.\s*|\.\s*|\[\s*['"`])env\b|\bmeta\s*(?:\?\.\s*|\.\s*|\[\s*['"`])env\b|\bProcessEnv\b|\benv\b[^;]{0,300}?\}\s*=\s*(?:globalThis\.|global\.)?(?:process|import\s*\.\s*meta)\b|['"`](?:node:)?process['"`]/;

/** Calls whose first argument is an object and second the key asked about. */
const KEY_QUERIES = new Set(['Object.hasOwn', 'Reflect.has', 'Reflect.get', 'Object.prototype.hasOwnProperty.call']);
/** Methods of the env object whose argument is the key asked about. */
const KEY_METHODS = new Set(['hasOwnProperty', 'propertyIsEnumerable']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'global']);
const PROCESS_ENV_TYPES = new Set(['NodeJS.ProcessEnv', 'ProcessEnv']);
const PROCESS_MODULES = new Set(['process', 'node:process']);

/** Per tree: several rules ask for the same file's reads. */
const readsByTree = new WeakMap<TS.SourceFile, readonly EnvRead[]>();

/** Every place in the file that reads or writes an environment variable, in text order; shared, never to be modified. */
export function findEnvReads(ts: TypeScript, sourceFile: TS.SourceFile): readonly EnvRead[] {
  let reads = readsByTree.get(sourceFile);
  if (!reads) {
    reads = collectEnvReads(ts, sourceFile);
    readsByTree.set(sourceFile, reads);
  }
  return reads;
}

function collectEnvReads(ts: TypeScript, sourceFile: TS.SourceFile): EnvRead[] {
  const reads = new Map<number, EnvRead>();
  const aliases = new Map<TS.Identifier, EnvSource>();
  const pendingAliases: TS.Identifier[] = [];

  const add = (name: string | undefined, pos: number, access: EnvRead['access'], source: EnvSource) => {
    if (!reads.has(pos)) reads.set(pos, { name, pos, access, source });
  };
  const addKey = (key: TS.Node | undefined, access: EnvRead['access'], source: EnvSource) => {
    if (!key || ts.isPrivateIdentifier(key)) return;
    const inner = skipParentheses(ts, key);
    const name = staticString(ts, inner) ?? (ts.isNumericLiteral(inner) ? inner.text : undefined);
    const quoted = ts.isStringLiteral(inner) || ts.isNoSubstitutionTemplateLiteral(inner);
    add(name, inner.getStart(sourceFile) + (quoted ? 1 : 0), access, source);
  };
  const addAlias = (name: TS.Identifier, source: EnvSource) => {
    if (aliases.has(name)) return;
    aliases.set(name, source);
    pendingAliases.push(name);
  };

  /** A key of a destructuring pattern taken from the env object. */
  const addPropertyKey = (key: TS.PropertyName, source: EnvSource) => {
    if (ts.isComputedPropertyName(key)) addKey(key.expression, 'read', source);
    else if (ts.isIdentifier(key)) add(key.text, key.getStart(sourceFile), 'read', source);
    else addKey(key, 'read', source);
  };

  /** Declares `name` from the env object: an alias, or the variables a destructuring pattern takes. */
  const bind = (name: TS.BindingName, source: EnvSource) => {
    if (ts.isIdentifier(name)) return addAlias(name, source);
    if (!ts.isObjectBindingPattern(name)) return;
    for (const element of name.elements) {
      if (element.dotDotDotToken) {
        if (ts.isIdentifier(element.name)) addAlias(element.name, source);
        continue;
      }
      const key = element.propertyName ?? (ts.isIdentifier(element.name) ? element.name : undefined);
      if (key) addPropertyKey(key, source);
    }
  };

  /** `({ X, Y: y } = env)`: the destructuring assignment form of {@link bind}. */
  const bindAssignment = (pattern: TS.ObjectLiteralExpression, source: EnvSource) => {
    for (const property of pattern.properties) {
      if (ts.isShorthandPropertyAssignment(property) || ts.isPropertyAssignment(property)) addPropertyKey(property.name, source);
    }
  };

  /** Classifies what the code does with an expression that evaluates to the env object. */
  const useOf = (envObject: TS.Expression, source: EnvSource) => {
    const use = outermostWrapper(ts, envObject);
    const parent = use.parent;
    if (ts.isPropertyAccessExpression(parent) && parent.expression === use) {
      const call = parent.parent;
      if (ts.isCallExpression(call) && call.expression === parent) {
        if (KEY_METHODS.has(parent.name.text)) addKey(call.arguments[0], 'read', source);
        return;
      }
      add(parent.name.text, parent.name.getStart(sourceFile), accessOf(ts, parent), source);
    } else if (ts.isElementAccessExpression(parent) && parent.expression === use) {
      addKey(parent.argumentExpression, accessOf(ts, parent), source);
    } else if (ts.isBinaryExpression(parent) && parent.right === use) {
      const operator = parent.operatorToken.kind;
      if (operator === ts.SyntaxKind.InKeyword) addKey(parent.left, 'read', source);
      else if (operator === ts.SyntaxKind.EqualsToken) {
        const target = skipParentheses(ts, parent.left);
        if (ts.isObjectLiteralExpression(target)) bindAssignment(target, source);
      }
    } else if (ts.isCallExpression(parent) && parent.arguments[0] === use) {
      const callee = dottedName(ts, parent.expression);
      if (callee && KEY_QUERIES.has(callee)) addKey(parent.arguments[1], 'read', source);
    } else if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent)) && parent.initializer === use) {
      bind(parent.name, source);
    }
  };

  walk(ts, sourceFile, (node) => {
    const source = envObjectSource(ts, node);
    if (source) {
      useOf(node as TS.Expression, source);
    } else if ((ts.isVariableDeclaration(node) || ts.isParameter(node)) && node.initializer && ts.isObjectBindingPattern(node.name)) {
      // `const { env } = process` and `const { env: { X } } = import.meta`
      const container = envContainerSource(ts, node.initializer);
      if (container) {
        for (const element of node.name.elements) {
          const key = element.propertyName ?? element.name;
          if (!element.dotDotDotToken && ts.isIdentifier(key) && key.text === 'env') bind(element.name, container);
        }
      }
    }
    if (ts.isImportSpecifier(node) && (node.propertyName ?? node.name).text === 'env') {
      const specifier = node.parent.parent.parent.moduleSpecifier;
      if (ts.isStringLiteral(specifier) && PROCESS_MODULES.has(specifier.text)) addAlias(node.name, 'process.env');
    }
    if (ts.isParameter(node) && node.type && ts.isTypeReferenceNode(node.type) && PROCESS_ENV_TYPES.has(dottedEntityName(ts, node.type.typeName))) {
      bind(node.name, 'process.env');
    }
  });

  if (pendingAliases.length > 0) {
    const { references, declarationOf } = indexBindings(ts, sourceFile);
    for (let alias = pendingAliases.pop(); alias; alias = pendingAliases.pop()) {
      const source = aliases.get(alias)!;
      for (const reference of references.get(alias.text) ?? []) {
        if (declarationOf(reference) === alias) useOf(reference, source);
      }
    }
  }

  return [...reads.values()].sort((a, b) => a.pos - b.pos);
}

/** Which env object a node is: `process.env` (and its global spellings) or `import.meta.env`. */
function envObjectSource(ts: TypeScript, node: TS.Node): EnvSource | undefined {
  if (memberName(ts, node) !== 'env') return undefined;
  return envContainerSource(ts, (node as TS.PropertyAccessExpression | TS.ElementAccessExpression).expression);
}

/** The env object that `expression.env` would be: `process` gives `process.env`, `import.meta` gives `import.meta.env`. */
function envContainerSource(ts: TypeScript, expression: TS.Expression): EnvSource | undefined {
  const target = skipWrappers(ts, expression);
  if (ts.isMetaProperty(target)) {
    return target.keywordToken === ts.SyntaxKind.ImportKeyword && target.name.text === 'meta' ? 'import.meta.env' : undefined;
  }
  if (ts.isIdentifier(target)) return target.text === 'process' ? 'process.env' : undefined;
  if (ts.isCallExpression(target)) {
    const [module] = target.arguments;
    const isRequire = ts.isIdentifier(target.expression) && target.expression.text === 'require';
    return isRequire && module && ts.isStringLiteral(module) && PROCESS_MODULES.has(module.text) ? 'process.env' : undefined;
  }
  if (memberName(ts, target) !== 'process') return undefined;
  const owner = skipWrappers(ts, (target as TS.PropertyAccessExpression | TS.ElementAccessExpression).expression);
  return ts.isIdentifier(owner) && GLOBAL_OBJECTS.has(owner.text) ? 'process.env' : undefined;
}

/** `b` for `a.b`, `a?.b`, `a['b']`; undefined for anything else. */
function memberName(ts: TypeScript, node: TS.Node): string | undefined {
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node)) return staticString(ts, node.argumentExpression);
  return undefined;
}

function isWrapper(ts: TypeScript, node: TS.Node): node is TS.Expression & { expression: TS.Expression } {
  return (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isTypeAssertionExpression(node)
  );
}

/** `(process.env as Env)!` evaluates to the same object as `process.env`. */
function skipWrappers(ts: TypeScript, node: TS.Expression): TS.Expression {
  let current = node;
  while (isWrapper(ts, current)) current = current.expression;
  return current;
}

function skipParentheses(ts: TypeScript, node: TS.Node): TS.Node {
  let current = node;
  while (ts.isParenthesizedExpression(current)) current = current.expression;
  return current;
}

/** The outermost expression that still evaluates to `node`'s value (through parentheses, casts, `!`). */
function outermostWrapper(ts: TypeScript, node: TS.Expression): TS.Expression {
  let current = node;
  while (isWrapper(ts, current.parent) && current.parent.expression === current) current = current.parent;
  return current;
}

/** `write` when the member is assigned with `=` or deleted; compound assignments read first. */
function accessOf(ts: TypeScript, member: TS.Expression): EnvRead['access'] {
  const use = outermostWrapper(ts, member);
  const parent = use.parent;
  if (ts.isDeleteExpression(parent)) return 'write';
  if (ts.isBinaryExpression(parent) && parent.left === use && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) return 'write';
  return 'read';
}

function dottedEntityName(ts: TypeScript, name: TS.EntityName): string {
  return ts.isIdentifier(name) ? name.text : `${dottedEntityName(ts, name.left)}.${name.right.text}`;
}

/**
 * Lexical lookup without a type checker: every identifier by name, and for a reference the
 * declaration it resolves to (the nearest enclosing scope that declares the name).
 */
function indexBindings(ts: TypeScript, sourceFile: TS.SourceFile) {
  const references = new Map<string, TS.Identifier[]>();
  const declarations = new Map<TS.Node, Map<string, TS.Identifier>>();
  walk(ts, sourceFile, (node) => {
    if (!ts.isIdentifier(node)) return;
    const scope = declarationScope(ts, node);
    if (scope) {
      const names = declarations.get(scope) ?? new Map<string, TS.Identifier>();
      if (!names.has(node.text)) names.set(node.text, node);
      declarations.set(scope, names);
    } else {
      const list = references.get(node.text) ?? [];
      list.push(node);
      references.set(node.text, list);
    }
  });
  const declarationOf = (reference: TS.Identifier): TS.Identifier | undefined => {
    for (let scope: TS.Node | undefined = reference.parent; scope; scope = scope.parent) {
      const declaration = declarations.get(scope)?.get(reference.text);
      if (declaration) return declaration;
    }
    return undefined;
  };
  return { references, declarationOf };
}

/**
 * The node whose subtree a declaration name is visible in, or undefined when the identifier
 * declares nothing. `var` is treated like `let` (block scoped): close enough for aliases of env.
 */
function declarationScope(ts: TypeScript, name: TS.Identifier): TS.Node | undefined {
  let declaration: TS.Node = name.parent;
  if (ts.isBindingElement(declaration) && declaration.name !== name) return undefined;
  while (ts.isBindingElement(declaration) || ts.isObjectBindingPattern(declaration) || ts.isArrayBindingPattern(declaration)) {
    declaration = declaration.parent;
  }
  if (ts.isParameter(declaration)) return declaration.name === name || name.parent !== declaration ? declaration.parent : undefined;
  if (ts.isVariableDeclaration(declaration)) {
    if (declaration.name !== name && name.parent === declaration) return undefined;
    if (ts.isCatchClause(declaration.parent)) return declaration.parent;
    const holder = declaration.parent.parent;
    if (ts.isForStatement(holder) || ts.isForInStatement(holder) || ts.isForOfStatement(holder)) return holder;
    return enclosingBlock(ts, holder);
  }
  if (
    (ts.isFunctionDeclaration(declaration) || ts.isClassDeclaration(declaration) || ts.isEnumDeclaration(declaration)) &&
    declaration.name === name
  ) {
    return enclosingBlock(ts, declaration.parent);
  }
  if ((ts.isFunctionExpression(declaration) || ts.isClassExpression(declaration)) && declaration.name === name) return declaration;
  if (
    (ts.isImportClause(declaration) || ts.isNamespaceImport(declaration) || ts.isImportEqualsDeclaration(declaration)) &&
    declaration.name === name
  ) {
    return declaration.getSourceFile();
  }
  if (ts.isImportSpecifier(declaration) && declaration.name === name) return declaration.getSourceFile();
  return undefined;
}

function enclosingBlock(ts: TypeScript, node: TS.Node): TS.Node {
  let current = node;
  while (!ts.isBlock(current) && !ts.isSourceFile(current) && !ts.isModuleBlock(current) && !ts.isCaseBlock(current)) current = current.parent;
  return current;
}
