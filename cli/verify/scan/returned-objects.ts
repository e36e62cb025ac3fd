/**
 * The object literals a function answers with, and what JSON type each field's value has when
 * the syntax alone says so. `health-contract` compares them with a JSON Schema; they are facts
 * (names, positions, types), so the comparison runs in `check()` across files without parsing.
 *
 * A function answers with what it returns (`return {...}`, an arrow's `({...})`) and what it
 * passes to `.send()` on one of its parameters (`reply.send({...})`, `reply.code(503).send(x)`).
 * A returned call to another function (`return buildHealth(deps)`) is kept as a reference for
 * `check()` to follow; `const body = {...}; return body` is followed inside the file.
 */
import type TS from 'typescript';
import type { TypeScript } from '../rule.js';
import { constInitializer, propertyNameText, walk } from './ast.js';
import { unwrap, type FastifyFileModel, type FunctionRef } from './fastify-routes.js';

/** JSON types plus the two JavaScript values JSON cannot carry as themselves. */
export type ValueType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'bigint' | 'undefined';

/** One possible value of a field (a conditional or `??` gives several); no `type` when unknown. */
export interface ValueFact {
  type?: ValueType;
  literal?: string | number | boolean;
  /** How the value is made, for messages: `.toFixed()`, a template literal, `BigInt()`. */
  via?: string;
}

export interface PropertyFact {
  name: string;
  line: number;
  column: number;
  values: ValueFact[];
  /** The field's value when it is itself an object literal. */
  object?: ObjectFact;
}

export interface ObjectFact {
  line: number;
  column: number;
  properties: PropertyFact[];
  /** A spread or a computed key: the full set of keys is unknown. */
  open: boolean;
}

export interface BodyFact {
  functionId: string;
  objects: ObjectFact[];
  /** Functions whose result the function answers with: `return buildHealth(deps)`. */
  calls: FunctionRef[];
}

/** Methods whose result is a string whatever they are called on. */
const STRING_METHODS = new Set([
  'toFixed',
  'toPrecision',
  'toExponential',
  'toString',
  'toISOString',
  'toLocaleString',
  'toLocaleDateString',
  'toLocaleTimeString',
  'toUpperCase',
  'toLowerCase',
  'padStart',
  'padEnd',
  'trim',
  'join',
]);
const NUMBER_FUNCTIONS = new Set(['Number', 'parseInt', 'parseFloat', 'Number.parseInt', 'Number.parseFloat', 'Date.now', 'performance.now', 'process.uptime']);
const FOLLOW_DEPTH = 3;

/**
 * What every function in the model's table answers with. The table grows while this runs (a
 * builder a handler calls joins it), so functions found on the way are described too.
 */
export function describeReturnedObjects(
  ts: TypeScript,
  model: FastifyFileModel,
  position: (at: TS.Node) => { line: number; column: number },
): BodyFact[] {
  const bodies: BodyFact[] = [];
  for (let index = 0; index < model.facts.functions.length; index++) {
    const id = model.facts.functions[index]!.id;
    const fn = model.functionNode(id) as TS.FunctionLikeDeclaration | undefined;
    if (!fn?.body) continue;
    const body = describeFunction(ts, model, position, fn, id);
    if (body.objects.length > 0 || body.calls.length > 0) bodies.push(body);
  }
  return bodies;
}

function describeFunction(
  ts: TypeScript,
  model: FastifyFileModel,
  position: (at: TS.Node) => { line: number; column: number },
  fn: TS.FunctionLikeDeclaration,
  functionId: string,
): BodyFact {
  const body: BodyFact = { functionId, objects: [], calls: [] };
  const sent = new Set<TS.Node>();

  const answer = (expression: TS.Node, depth: number): void => {
    const inner = unwrap(ts, expression);
    if (ts.isObjectLiteralExpression(inner)) {
      body.objects.push(describeObject(inner, 0));
    } else if (ts.isConditionalExpression(inner)) {
      answer(inner.whenTrue, depth);
      answer(inner.whenFalse, depth);
    } else if (ts.isCallExpression(inner)) {
      if (isSendCall(inner)) {
        sent.add(inner);
        if (inner.arguments[0]) answer(inner.arguments[0], depth);
        return;
      }
      const callable = model.callableOf(inner.expression);
      if (callable && !callable.viaFactory) body.calls.push(callable.ref);
    } else if (ts.isIdentifier(inner) && depth < FOLLOW_DEPTH) {
      const initializer = constInitializer(ts, inner);
      if (initializer) answer(initializer, depth + 1);
    }
  };

  /** `reply.send(x)` where `reply` is this function's own parameter. */
  const sendsOnParameter = (call: TS.CallExpression): boolean => {
    let root: TS.Node = call.expression;
    while (ts.isPropertyAccessExpression(root) || ts.isCallExpression(root)) root = root.expression;
    if (!ts.isIdentifier(root)) return false;
    const binding = model.bindingOf(root);
    return binding?.kind === 'node' && ts.isParameter(binding.node) && binding.node.parent === fn;
  };

  const describeObject = (object: TS.ObjectLiteralExpression, depth: number): ObjectFact => {
    const fact: ObjectFact = { ...position(object), properties: [], open: false };
    for (const property of object.properties) {
      if (ts.isSpreadAssignment(property)) {
        fact.open = true;
        continue;
      }
      const name = property.name && propertyNameText(ts, property.name);
      if (name === undefined || !property.name) {
        fact.open = true;
        continue;
      }
      const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
      const nested = value && depth < FOLLOW_DEPTH ? nestedObject(value, depth) : undefined;
      fact.properties.push({ name, ...position(property.name), values: value ? valuesOf(ts, value, 0) : [], ...(nested ? { object: nested } : {}) });
    }
    return fact;
  };

  const nestedObject = (expression: TS.Node, depth: number): ObjectFact | undefined => {
    const inner = unwrap(ts, expression);
    if (ts.isObjectLiteralExpression(inner)) return describeObject(inner, depth + 1);
    if (!ts.isIdentifier(inner)) return undefined;
    const initializer = constInitializer(ts, inner);
    return initializer && depth < FOLLOW_DEPTH ? nestedObject(initializer, depth + 1) : undefined;
  };

  const isSendCall = (call: TS.CallExpression): boolean => ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === 'send';

  if (!ts.isBlock(fn.body!)) {
    answer(fn.body!, 0);
    return body;
  }
  walk(ts, fn.body!, (node) => {
    if (ts.isFunctionLike(node)) return false;
    if (ts.isReturnStatement(node) && node.expression) answer(node.expression, 0);
    else if (ts.isCallExpression(node) && isSendCall(node) && !sent.has(node) && sendsOnParameter(node)) answer(node, 0);
    return undefined;
  });
  return body;
}

/** Every value an expression can have that the syntax tells apart: both arms of `?:`, `??`, `||`, `&&`. */
export function valuesOf(ts: TypeScript, expression: TS.Node, depth: number): ValueFact[] {
  const inner = unwrap(ts, expression);
  if (ts.isConditionalExpression(inner)) return [...valuesOf(ts, inner.whenTrue, depth), ...valuesOf(ts, inner.whenFalse, depth)];
  if (ts.isBinaryExpression(inner)) {
    const operator = inner.operatorToken.kind;
    if (operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.AmpersandAmpersandToken) {
      return [...valuesOf(ts, inner.left, depth), ...valuesOf(ts, inner.right, depth)];
    }
  }
  if (ts.isIdentifier(inner)) {
    if (inner.text === 'undefined') return [{ type: 'undefined' }];
    const initializer = depth < FOLLOW_DEPTH ? constInitializer(ts, inner) : undefined;
    return initializer ? valuesOf(ts, initializer, depth + 1) : [{}];
  }
  return [valueOf(ts, inner)];
}

/** The JSON type of one expression when its syntax decides it. */
export function valueOf(ts: TypeScript, expression: TS.Node): ValueFact {
  const node = unwrap(ts, expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return { type: 'string', literal: node.text, via: 'a string literal' };
  if (ts.isTemplateExpression(node)) return { type: 'string', via: 'a template literal' };
  if (ts.isNumericLiteral(node)) return { type: 'number', literal: Number(node.text) };
  if (ts.isBigIntLiteral(node)) return { type: 'bigint', via: `the BigInt literal ${node.text}` };
  if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) {
    return { type: 'boolean', literal: node.kind === ts.SyntaxKind.TrueKeyword };
  }
  if (node.kind === ts.SyntaxKind.NullKeyword) return { type: 'null' };
  if (ts.isVoidExpression(node)) return { type: 'undefined' };
  if (ts.isObjectLiteralExpression(node)) return { type: 'object' };
  if (ts.isArrayLiteralExpression(node)) return { type: 'array' };
  if (ts.isTypeOfExpression(node)) return { type: 'string', via: '`typeof`' };
  if (ts.isPrefixUnaryExpression(node)) {
    if (node.operator === ts.SyntaxKind.ExclamationToken) return { type: 'boolean' };
    const operand = valueOf(ts, node.operand);
    if (operand.type === 'bigint') return operand;
    if (node.operator === ts.SyntaxKind.MinusToken && typeof operand.literal === 'number') return { type: 'number', literal: -operand.literal };
    return node.operator === ts.SyntaxKind.TildeToken || node.operator === ts.SyntaxKind.MinusToken || node.operator === ts.SyntaxKind.PlusToken ? { type: 'number' } : {};
  }
  if (ts.isBinaryExpression(node)) return binaryValue(ts, node);
  if (ts.isCallExpression(node)) return callValue(ts, node);
  return {};
}

function binaryValue(ts: TypeScript, node: TS.BinaryExpression): ValueFact {
  const kind = ts.SyntaxKind;
  switch (node.operatorToken.kind) {
    case kind.PlusToken: {
      const left = valueOf(ts, node.left);
      const right = valueOf(ts, node.right);
      if (left.type === 'string' || right.type === 'string') return { type: 'string', via: 'string concatenation' };
      return left.type === 'number' && right.type === 'number' ? { type: 'number' } : {};
    }
    case kind.MinusToken:
    case kind.AsteriskToken:
    case kind.SlashToken:
    case kind.PercentToken:
    case kind.AsteriskAsteriskToken: {
      const bigint = [node.left, node.right].map((side) => valueOf(ts, side)).find((side) => side.type === 'bigint');
      return bigint ?? { type: 'number' };
    }
    case kind.EqualsEqualsEqualsToken:
    case kind.ExclamationEqualsEqualsToken:
    case kind.EqualsEqualsToken:
    case kind.ExclamationEqualsToken:
    case kind.LessThanToken:
    case kind.LessThanEqualsToken:
    case kind.GreaterThanToken:
    case kind.GreaterThanEqualsToken:
    case kind.InstanceOfKeyword:
    case kind.InKeyword:
      return { type: 'boolean' };
    default:
      return {};
  }
}

function callValue(ts: TypeScript, node: TS.CallExpression): ValueFact {
  const callee = node.expression;
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
      ? `${callee.expression.text}.${callee.name.text}`
      : undefined;
  if (name === 'String') return { type: 'string', via: '`String()`' };
  if (name === 'JSON.stringify') return { type: 'string', via: '`JSON.stringify()`' };
  if (name === 'Boolean' || name === 'Array.isArray' || name === 'Number.isFinite' || name === 'Number.isInteger') return { type: 'boolean' };
  if (name === 'BigInt') return { type: 'bigint', via: '`BigInt()`' };
  if (name !== undefined && (NUMBER_FUNCTIONS.has(name) || name.startsWith('Math.'))) return { type: 'number' };
  if (ts.isPropertyAccessExpression(callee) && STRING_METHODS.has(callee.name.text)) return { type: 'string', via: `\`.${callee.name.text}()\`` };
  return {};
}
