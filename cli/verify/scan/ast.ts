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
