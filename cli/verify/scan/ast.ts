/**
 * Small syntax-tree helpers shared by the rules. They take the TypeScript module as a parameter
 * (rules import only its types) and never need a type checker.
 */
import type TS from 'typescript';
import type { TypeScript } from '../rule.js';

/** Visits every node below `root` depth-first; return `false` from `visit` to skip a subtree. */
export function walk(ts: TypeScript, root: TS.Node, visit: (node: TS.Node) => boolean | void): void {
  const step = (node: TS.Node): void => {
    if (visit(node) === false) return;
    ts.forEachChild(node, step);
  };
  ts.forEachChild(root, step);
}

/** The text of a string literal or a template literal without substitutions. */
export function staticString(ts: TypeScript, node: TS.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return staticString(ts, node.expression);
  return undefined;
}

/** `a.b.c` for property-access chains of identifiers (and `this`), otherwise undefined. */
export function dottedName(ts: TypeScript, node: TS.Node): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (node.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  if (ts.isPropertyAccessExpression(node)) {
    const left = dottedName(ts, node.expression);
    return left === undefined ? undefined : `${left}.${node.name.text}`;
  }
  if (ts.isMetaProperty(node)) return `${ts.tokenToString(node.keywordToken)}.${node.name.text}`;
  return undefined;
}

/** The name a call is made through: `listen` for `app.listen(...)`, `run` for `run(bot)`. */
export function calleeName(ts: TypeScript, call: TS.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** The nearest enclosing function-like node, or undefined at module level. */
export function enclosingFunction(ts: TypeScript, node: TS.Node): TS.SignatureDeclaration | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (ts.isFunctionLike(current)) return current;
  }
  return undefined;
}

/** Whether a function-like node is declared `async`. */
export function isAsyncFunction(ts: TypeScript, fn: TS.Node): boolean {
  const modifiers = ts.canHaveModifiers(fn) ? ts.getModifiers(fn) : undefined;
  return modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword) ?? false;
}

/** Whether a node runs when the module loads: not inside any function body. */
export function isModuleLevel(ts: TypeScript, node: TS.Node): boolean {
  return enclosingFunction(ts, node) === undefined;
}

/** The value of a property named `name` in an object literal, if it is written out. */
export function propertyValue(ts: TypeScript, object: TS.ObjectLiteralExpression, name: string): TS.Expression | undefined {
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property) && propertyNameText(ts, property.name) === name) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property) && property.name.text === name) return property.name;
  }
  return undefined;
}

/** The text of a property name that is an identifier, string or number literal. */
export function propertyNameText(ts: TypeScript, name: TS.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isComputedPropertyName(name)) return staticString(ts, name.expression);
  return undefined;
}

/**
 * The initializer of the `const name = …` an identifier refers to, found by walking up its
 * enclosing blocks and functions (no type checker). Undefined when the nearest binding of the
 * name is anything else: a parameter, `let`/`var`, a destructuring, a loop or catch variable, a
 * function or class, or nothing in this file (an import or a global).
 */
export function constInitializer(ts: TypeScript, identifier: TS.Identifier): TS.Expression | undefined {
  const name = identifier.text;
  for (let scope: TS.Node | undefined = identifier.parent; scope; scope = scope.parent) {
    if (ts.isFunctionLike(scope) && scope.parameters.some((parameter) => bindsName(ts, parameter.name, name))) return undefined;
    if (ts.isCatchClause(scope) && scope.variableDeclaration && bindsName(ts, scope.variableDeclaration.name, name)) return undefined;
    if ((ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) && scope.initializer && ts.isVariableDeclarationList(scope.initializer)) {
      if (scope.initializer.declarations.some((declaration) => bindsName(ts, declaration.name, name))) return undefined;
    }
    const statements = ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope) ? scope.statements : undefined;
    for (const statement of statements ?? []) {
      if (ts.isVariableStatement(statement)) {
        const list = statement.declarationList;
        const declaration = list.declarations.find((candidate) => bindsName(ts, candidate.name, name));
        if (!declaration) continue;
        const isConst = (list.flags & ts.NodeFlags.Const) !== 0 && ts.isIdentifier(declaration.name);
        return isConst ? declaration.initializer : undefined;
      }
      if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === name) return undefined;
    }
  }
  return undefined;
}

function bindsName(ts: TypeScript, binding: TS.BindingName, name: string): boolean {
  if (ts.isIdentifier(binding)) return binding.text === name;
  return binding.elements.some((element) => !ts.isOmittedExpression(element) && bindsName(ts, element.name, name));
}

/**
 * The source offset of each character of a string or template literal's text (its cooked value),
 * plus one past the end, so that a finding inside the text points at the right column even
 * after escapes such as `\n`, `\'` or `\u00e9`. For a template, pass its head, middles and tail.
 *
 * @example
 * ```ts
 * const offsets = literalTextOffsets(ts, sourceFile, literal);
 * ctx.report({ pos: offsets[literal.text.indexOf('needle')]!, message });
 * ```
 */
export function literalTextOffsets(ts: TypeScript, sourceFile: TS.SourceFile, literal: TS.StringLiteral | TS.TemplateLiteralLikeNode): number[] {
  const start = literal.getStart(sourceFile) + 1;
  const closing = ts.isTemplateHead(literal) || ts.isTemplateMiddle(literal) ? 2 : 1;
  const raw = sourceFile.text.slice(start, Math.max(start, literal.end - closing));
  const offsets: number[] = [];
  for (let at = 0; at < raw.length; ) {
    if (raw[at] !== '\\') {
      // A template's raw CRLF reads as one LF.
      const width = raw[at] === '\r' && raw[at + 1] === '\n' ? 2 : 1;
      offsets.push(start + at);
      at += width;
      continue;
    }
    const escape = /^\\(?:\r\n|[\r\n\u2028\u2029]|x[0-9A-Fa-f]{2}|u\{([0-9A-Fa-f]+)\}|u[0-9A-Fa-f]{4}|[0-3][0-7]{0,2}|[4-7][0-7]?|[^])/.exec(raw.slice(at, at + 12))?.[0] ?? '\\';
    const codePoint = /^\\u\{([0-9A-Fa-f]+)\}$/.exec(escape)?.[1];
    const units = /^\\[\r\n\u2028\u2029]/.test(escape) ? 0 : codePoint && parseInt(codePoint, 16) > 0xffff ? 2 : 1;
    for (let unit = 0; unit < units; unit++) offsets.push(start + at);
    at += escape.length;
  }
  offsets.push(start + raw.length);
  return offsets.length === literal.text.length + 1 ? offsets : Array.from({ length: literal.text.length + 1 }, () => literal.getStart(sourceFile));
}

/**
 * The expression that carries the value: inside parentheses and `as`, `satisfies`, `!`, `<T>`
 * assertions, and (with `throughAwait`) `await`, none of which change what a rule reasons about.
 */
export function unwrapExpression(ts: TypeScript, expression: TS.Expression, throughAwait = false): TS.Expression {
  let node = expression;
  while (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isTypeAssertionExpression(node) ||
    (throughAwait && ts.isAwaitExpression(node))
  ) {
    node = node.expression;
  }
  return node;
}
