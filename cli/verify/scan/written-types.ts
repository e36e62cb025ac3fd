/**
 * What the type annotations written in one file say about a value, without a type checker:
 * whether it is a number (or a bigint, a boolean), so that `telegram-html-safety` lets
 * `${balance}` with `balance: number` and `${model.priceCredits}` with `model: Model` into HTML
 * text unescaped. A type imported from another file is named by a reference that `check()`
 * resolves against that file's {@link WrittenTypes.numberPaths}.
 *
 * @example
 * ```ts
 * // texts.ts
 * import type { Model } from './models.js';
 * export const price = (model: Model, count: number) => `${count} × ${model.priceCredits}`;
 * // verdict(count): 'plain'; verdict(model.priceCredits): { type: import Model of ./models.js, path: 'priceCredits' }
 * // models.ts: numberPaths(interface Model { title: string; priceCredits: number }) = ['priceCredits']
 * ```
 */
import type TS from 'typescript';
import type { TypeScript } from '../rule.js';
import { propertyNameText, unwrapExpression } from './ast.js';
import type { FunctionRef } from './fastify-routes.js';

/** A value is a number (`plain`), is one if an imported type says so, or nothing is known. */
export type TypeVerdict = 'plain' | { type: FunctionRef; path: string } | undefined;

/** Array methods whose callback receives the array's elements: their parameter has the element type. */
const ELEMENT_CALLBACKS = new Set(['map', 'flatMap', 'forEach', 'filter', 'find', 'findLast', 'some', 'every']);
/** Array methods that return some of the same elements. */
export const ELEMENT_SUBSETS: ReadonlySet<string> = new Set(['filter', 'slice', 'sort', 'reverse', 'toSorted', 'toReversed']);
/** Generic types that hold the same values as their argument. */
const SAME_VALUE_TYPES = new Set(['Readonly', 'NonNullable', 'Required']);
/** How deep `a.b.c` property paths and chains of names are read. */
const PATH_DEPTH = 3;

type Declared = { type: TS.TypeNode; path: string[] } | 'plain';

export interface WrittenTypes {
  /** `balance`, `model.priceCredits`: plain when the written type says number, deferred when an imported type must say. */
  verdict(node: TS.Identifier | TS.PropertyAccessExpression): TypeVerdict;
  /** The interfaces and type aliases declared at the top of the file, by name. */
  declarations(): ReadonlyMap<string, TS.InterfaceDeclaration | TS.TypeAliasDeclaration>;
  /** The property paths of a type that hold numbers or booleans: `priceCredits`, `limits.daily`; '' for the type itself. */
  numberPaths(declaration: TS.InterfaceDeclaration | TS.TypeAliasDeclaration): string[];
}

export function readWrittenTypes(
  ts: TypeScript,
  sourceFile: TS.SourceFile,
  importsOf: () => ReadonlyMap<string, { specifier: string; name: string }>,
): WrittenTypes {
  let topLevelTypes: Map<string, TS.InterfaceDeclaration | TS.TypeAliasDeclaration> | undefined;
  const localTypes = () => {
    if (topLevelTypes) return topLevelTypes;
    topLevelTypes = new Map();
    for (const statement of sourceFile.statements) {
      if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) topLevelTypes.set(statement.name.text, statement);
    }
    return topLevelTypes;
  };

  const isNullishType = (type: TS.TypeNode) =>
    type.kind === ts.SyntaxKind.UndefinedKeyword ||
    type.kind === ts.SyntaxKind.VoidKeyword ||
    (ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.NullKeyword);

  /** Inside parentheses, `Readonly<T>`, and a union with `undefined` or `null`. */
  const stripType = (type: TS.TypeNode): TS.TypeNode => {
    let node = type;
    for (;;) {
      if (ts.isParenthesizedTypeNode(node)) node = node.type;
      else if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && SAME_VALUE_TYPES.has(node.typeName.text) && node.typeArguments?.length === 1) {
        node = node.typeArguments[0]!;
      } else if (ts.isUnionTypeNode(node)) {
        const kept = node.types.filter((member) => !isNullishType(member));
        if (kept.length !== 1) return node;
        node = kept[0]!;
      } else return node;
    }
  };

  /** Types whose values render without markup characters: numbers, bigints, booleans. */
  const isPlainType = (type: TS.TypeNode): boolean => {
    const node = stripType(type);
    if (node.kind === ts.SyntaxKind.NumberKeyword || node.kind === ts.SyntaxKind.BigIntKeyword || node.kind === ts.SyntaxKind.BooleanKeyword) return true;
    if (ts.isLiteralTypeNode(node)) {
      const literal = node.literal;
      return (
        ts.isNumericLiteral(literal) ||
        ts.isBigIntLiteral(literal) ||
        ts.isPrefixUnaryExpression(literal) ||
        literal.kind === ts.SyntaxKind.TrueKeyword ||
        literal.kind === ts.SyntaxKind.FalseKeyword
      );
    }
    return ts.isUnionTypeNode(node) && node.types.every((member) => isNullishType(member) || isPlainType(member));
  };

  const memberType = (members: readonly TS.TypeElement[], key: string): TS.TypeNode | undefined => {
    const member = members.find((candidate) => ts.isPropertySignature(candidate) && propertyNameText(ts, candidate.name) === key);
    return member && ts.isPropertySignature(member) ? member.type : undefined;
  };

  /** Whether the value at `path` inside a type is a number; imported types are left to `check()`. */
  const typeVerdict = (type: TS.TypeNode, path: readonly string[], depth: number): TypeVerdict => {
    if (depth > 2 * PATH_DEPTH) return undefined;
    const node = stripType(type);
    if (path.length === 0 && isPlainType(node)) return 'plain';
    if (ts.isUnionTypeNode(node)) {
      return node.types.every((member) => isNullishType(member) || typeVerdict(member, path, depth + 1) === 'plain') ? 'plain' : undefined;
    }
    const [key, ...rest] = path;
    if (ts.isTypeLiteralNode(node)) {
      const member = key === undefined ? undefined : memberType(node.members, key);
      return member && typeVerdict(member, rest, depth + 1);
    }
    if (!ts.isTypeReferenceNode(node) || !ts.isIdentifier(node.typeName)) return undefined;
    const local = localTypes().get(node.typeName.text);
    if (local) {
      if (ts.isTypeAliasDeclaration(local)) return typeVerdict(local.type, path, depth + 1);
      const member = key === undefined ? undefined : memberType(local.members, key);
      return member && typeVerdict(member, rest, depth + 1);
    }
    const imported = importsOf().get(node.typeName.text);
    return imported && { type: { kind: 'import', ...imported }, path: path.join('.') };
  };

  /** The type written at `path` inside a type of this file (for the elements of an array). */
  const localMemberType = (type: TS.TypeNode, path: readonly string[], depth: number): TS.TypeNode | undefined => {
    const node = stripType(type);
    if (path.length === 0 || depth > PATH_DEPTH) return path.length === 0 ? node : undefined;
    const [key, ...rest] = path;
    const members = ts.isTypeLiteralNode(node)
      ? node.members
      : ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)
        ? (() => {
            const local = localTypes().get(node.typeName.text);
            return local && ts.isInterfaceDeclaration(local) ? local.members : undefined;
          })()
        : undefined;
    const member = members && memberType(members, key!);
    return member && localMemberType(member, rest, depth + 1);
  };

  const arrayElementType = (type: TS.TypeNode): TS.TypeNode | undefined => {
    let node = stripType(type);
    if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.ReadonlyKeyword) node = stripType(node.type);
    if (ts.isArrayTypeNode(node)) return node.elementType;
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && (node.typeName.text === 'Array' || node.typeName.text === 'ReadonlyArray')) {
      return node.typeArguments?.[0];
    }
    return undefined;
  };

  /** The declared element type of an array held by a name: `models` in `models.map((model) => …)`. */
  const elementTypeOf = (expression: TS.Expression, depth: number): TS.TypeNode | undefined => {
    const node = unwrapExpression(ts, expression);
    if (depth > PATH_DEPTH) return undefined;
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ELEMENT_SUBSETS.has(node.expression.name.text)) {
      return elementTypeOf(node.expression.expression, depth + 1);
    }
    if (!ts.isIdentifier(node)) return undefined;
    const declared = declaredType(node, depth + 1);
    const arrayType = declared && declared !== 'plain' ? localMemberType(declared.type, declared.path, 0) : undefined;
    return arrayType && arrayElementType(arrayType);
  };

  const callbackElementType = (fn: TS.SignatureDeclaration, depth: number): TS.TypeNode | undefined => {
    const call = fn.parent;
    if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !ts.isCallExpression(call) || call.arguments[0] !== fn) return undefined;
    if (!ts.isPropertyAccessExpression(call.expression) || !ELEMENT_CALLBACKS.has(call.expression.name.text)) return undefined;
    return elementTypeOf(call.expression.expression, depth + 1);
  };

  /**
   * The type written for the binding a name refers to: a parameter's annotation (`balance:
   * number`, `{ price }: { price: number }`), a typed variable, the element type of the array a
   * callback or a `for…of` walks; `plain` for a parameter defaulting to a number.
   */
  const declaredType = (identifier: TS.Identifier, depth: number): Declared | undefined => {
    const name = identifier.text;
    if (depth > PATH_DEPTH) return undefined;
    for (let scope: TS.Node | undefined = identifier.parent; scope; scope = scope.parent) {
      if (ts.isFunctionLike(scope)) {
        for (const [index, parameter] of scope.parameters.entries()) {
          const path = bindingPath(ts, parameter.name, name);
          if (path === undefined) continue;
          if (path === null) return undefined;
          if (parameter.type) return { type: parameter.type, path };
          if (path.length === 0 && parameter.initializer && ts.isNumericLiteral(unwrapExpression(ts, parameter.initializer))) return 'plain';
          const element = index === 0 ? callbackElementType(scope, depth) : undefined;
          return element && { type: element, path };
        }
      }
      if (ts.isCatchClause(scope) && scope.variableDeclaration && bindingPath(ts, scope.variableDeclaration.name, name) !== undefined) return undefined;
      if ((ts.isForOfStatement(scope) || ts.isForInStatement(scope) || ts.isForStatement(scope)) && scope.initializer && ts.isVariableDeclarationList(scope.initializer)) {
        for (const declaration of scope.initializer.declarations) {
          const path = bindingPath(ts, declaration.name, name);
          if (path === undefined) continue;
          if (path === null) return undefined;
          if (declaration.type) return { type: declaration.type, path };
          const element = ts.isForOfStatement(scope) && identifier.pos >= scope.statement.pos ? elementTypeOf(scope.expression, depth + 1) : undefined;
          return element && { type: element, path };
        }
      }
      const statements = ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope) ? scope.statements : undefined;
      for (const statement of statements ?? []) {
        if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations) {
            const path = bindingPath(ts, declaration.name, name);
            if (path === undefined) continue;
            return path !== null && declaration.type ? { type: declaration.type, path } : undefined;
          }
        } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name?.text === name) {
          return undefined;
        }
      }
    }
    return undefined;
  };

  /** `balance`, `model.priceCredits`: plain when the declared type says number, deferred when an imported type must say. */
  const typedValue = (node: TS.Identifier | TS.PropertyAccessExpression): TypeVerdict => {
    const path: string[] = [];
    let base: TS.Expression = node;
    while (ts.isPropertyAccessExpression(base)) {
      path.unshift(base.name.text);
      base = unwrapExpression(ts, base.expression);
    }
    if (!ts.isIdentifier(base) || path.length > PATH_DEPTH) return undefined;
    const declared = declaredType(base, 0);
    if (declared === 'plain') return path.length === 0 ? 'plain' : undefined;
    return declared && typeVerdict(declared.type, [...declared.path, ...path], 0);
  };

  /** The property paths of a type that hold numbers or booleans: `priceCredits`, `limits.daily`; '' for the type itself. */
  const numberPaths = (declaration: TS.InterfaceDeclaration | TS.TypeAliasDeclaration): string[] => {
    const paths: string[] = [];
    const fromMembers = (members: readonly TS.TypeElement[], prefix: string, depth: number): void => {
      for (const member of members) {
        if (!ts.isPropertySignature(member) || !member.type) continue;
        const key = propertyNameText(ts, member.name);
        if (key === undefined) continue;
        const path = prefix ? `${prefix}.${key}` : key;
        if (typeVerdict(member.type, [], 0) === 'plain') paths.push(path);
        else {
          const inner = stripType(member.type);
          if (ts.isTypeLiteralNode(inner) && depth < PATH_DEPTH) fromMembers(inner.members, path, depth + 1);
        }
      }
    };
    if (ts.isInterfaceDeclaration(declaration)) fromMembers(declaration.members, '', 1);
    else if (typeVerdict(declaration.type, [], 0) === 'plain') paths.push('');
    else {
      const inner = stripType(declaration.type);
      if (ts.isTypeLiteralNode(inner)) fromMembers(inner.members, '', 1);
    }
    return paths;
  };

  return { verdict: typedValue, declarations: localTypes, numberPaths };
}

/**
 * Where `name` sits in a binding: `[]` for `name` itself, `['a', 'b']` for `{ a: { b: name } }`;
 * null when it is bound in a way a path cannot say (array patterns, rest, computed keys);
 * undefined when the binding does not bind it.
 */
function bindingPath(ts: TypeScript, binding: TS.BindingName, name: string): string[] | null | undefined {
  if (ts.isIdentifier(binding)) return binding.text === name ? [] : undefined;
  for (const element of binding.elements) {
    if (ts.isOmittedExpression(element)) continue;
    const inner = bindingPath(ts, element.name, name);
    if (inner === undefined) continue;
    if (inner === null || ts.isArrayBindingPattern(binding) || element.dotDotDotToken) return null;
    const key = element.propertyName ? propertyNameText(ts, element.propertyName) : ts.isIdentifier(element.name) ? element.name.text : undefined;
    return key === undefined ? null : [key, ...inner];
  }
  return undefined;
}
