/**
 * GET /health is what monitors, `trt smoke` and `trt ops` read to decide whether the bot is up,
 * which instance holds the lock and whether the queue backs up. SPEC §8 fixes its body in
 * `schemas/health.schema.json`, and "every number is a JSON number": a `lock_idle_s` sent as the
 * string "54.09" (`.toFixed()`) or a BigInt (JSON.stringify throws) breaks every consumer.
 *
 * This rule finds the handler of the application's GET /health (the same route detection as
 * `truth-routes`), follows it to the object literals it answers with — inline, in the same file
 * or imported, through a handler factory and through builder functions — and checks their keys
 * and the values whose JSON type the syntax shows against the schema.
 */
import { readFileSync } from 'node:fs';
import type TS from 'typescript';
import { packageFile } from '../../core/package-root.js';
import { defineRule, type RepoCheckContext, type TypeScript } from '../rule.js';
import {
  ANY_METHOD,
  applicationSeeds,
  composeRoutes,
  DEFAULT_APP_EXCLUDE,
  FASTIFY_PREFILTER,
  FastifyIndex,
  hasFastifyFacts,
  scanFastify,
  type AppRoute,
  type FastifyFacts,
  type ResolvedFunction,
} from '../scan/fastify-routes.js';
import { describeReturnedObjects, type BodyFact, type ObjectFact, type PropertyFact, type ValueFact } from '../scan/returned-objects.js';

interface Options {
  /** The schema, relative to the verified repository's root. */
  schema: string;
  /** The path of the health route. */
  route: string;
  /** Files (globs) whose Fastify instances are not the product's application, e.g. tests. */
  exclude: string[];
}

interface HealthFacts {
  fastify: FastifyFacts;
  bodies: BodyFact[];
}

const DEFAULT_SCHEMA = 'schemas/health.schema.json';
/** How many builder calls (`return buildHealth()` → `return snapshot()`) are followed. */
const BUILDER_DEPTH = 3;

/** A JSON Schema node, read loosely: only the keywords this rule understands matter. */
type SchemaNode = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
};

interface Finding {
  file: string;
  line: number;
  column: number;
  message: string;
  fix: string;
}

export default defineRule<Options, HealthFacts>({
  id: 'health-contract',
  description: 'The object the GET /health handler answers with must match schemas/health.schema.json: every required field, no unknown field, numbers as JSON numbers.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      schema: { type: 'string', minLength: 1 },
      route: { type: 'string', pattern: '^/' },
      exclude: { type: 'array', items: { type: 'string' } },
    },
  },
  defaultOptions: { schema: DEFAULT_SCHEMA, route: '/health', exclude: DEFAULT_APP_EXCLUDE },
  prefilter: FASTIFY_PREFILTER,
  // The handler's body may live in a module that never mentions Fastify (a handler, a builder):
  // the files an application's scopes import are described when its routes lead to them.
  onDemand: {
    seeds: (fact) => applicationSeeds(fact.fastify, fact),
    describe: ({ ts, sourceFile, position }) => healthFacts(ts, sourceFile, position),
  },
  scanFile(ctx) {
    const facts = healthFacts(ctx.ts, ctx.sourceFile, ctx.position);
    if (facts) ctx.record(facts);
  },
  check(ctx) {
    const facts = ctx.facts();
    const index = new FastifyIndex(
      facts.map(({ file, fact }) => ({ file, fact: fact.fastify })),
      ctx.graph,
    );
    const app = composeRoutes(index, ctx.graph, { truth: ctx.truth, exclude: ctx.options.exclude });
    const healthRoutes = app.routes.filter((route) => route.path === ctx.options.route && (route.method === 'GET' || route.method === ANY_METHOD));
    // Until the application registers its health route there is nothing to check.
    if (healthRoutes.length === 0) return;
    const schema = loadSchema(ctx);
    if (!schema) return;

    const bodies = new Map(facts.flatMap(({ file, fact }) => fact.bodies.map((body) => [`${file}#${body.functionId}`, body] as const)));
    const findings = new Map<string, Finding>();
    const add = (finding: Finding) => findings.set(`${finding.file}:${finding.line}:${finding.column}:${finding.message}`, finding);

    for (const route of healthRoutes) {
      const objects = answeredObjects(index, bodies, route);
      if (objects.length === 0) {
        add({
          file: route.file,
          line: route.line,
          column: route.column,
          message: `trt cannot see what the GET ${ctx.options.route} handler answers with, so it cannot prove the body matches ${schema.name}.`,
          fix: 'Answer with an object literal in the handler (`return {...}` or `reply.send({...})`) or return a builder function\'s result (`return buildHealth(deps)`, same file or imported); or switch health-contract off.',
        });
      }
      for (const { file, object } of objects) checkObject(object, schema.root, { file, schema, path: '', add });
    }
    for (const finding of findings.values()) ctx.report(finding);
  },
});

function healthFacts(ts: TypeScript, sourceFile: TS.SourceFile, position: (at: TS.Node) => { line: number; column: number }): HealthFacts | undefined {
  const model = scanFastify(ts, sourceFile, position);
  const bodies = describeReturnedObjects(ts, model, position);
  return hasFastifyFacts(model.facts) || bodies.length > 0 ? { fastify: model.facts, bodies } : undefined;
}

/** The object literals a route's handler answers with, following factories and builders. */
function answeredObjects(index: FastifyIndex, bodies: ReadonlyMap<string, BodyFact>, route: AppRoute): { file: string; object: ObjectFact }[] {
  if (!route.handler) return [];
  const objects: { file: string; object: ObjectFact }[] = [];
  const visited = new Set<string>();
  const collect = (target: ResolvedFunction, depth: number): void => {
    const key = `${target.file}#${target.fn.id}`;
    if (visited.has(key)) return;
    visited.add(key);
    const body = bodies.get(key);
    if (!body) return;
    for (const object of body.objects) objects.push({ file: target.file, object });
    if (depth >= BUILDER_DEPTH) return;
    for (const call of body.calls) {
      const builder = index.resolveFunction(target.file, call);
      if (builder) collect(builder, depth + 1);
    }
  };
  for (const handler of index.resolveCallable(route.handler.file, route.handler.callable)) collect(handler, 0);
  return objects;
}

interface LoadedSchema {
  /** How messages name it. */
  name: string;
  root: SchemaNode;
  /** Resolves local `$ref`s (`#/$defs/x`). */
  resolve(node: SchemaNode): SchemaNode;
}

/**
 * The schema from the verified repository; when it has none at the default path, the schema
 * shipped with trt (the SPEC's contract). A path set in the options must exist.
 */
function loadSchema(ctx: RepoCheckContext<Options, HealthFacts>): LoadedSchema | undefined {
  const configured = ctx.options.schema;
  let text = ctx.readText(configured);
  let name = configured;
  if (text === undefined) {
    if (configured !== DEFAULT_SCHEMA) {
      const line = ctx.truthLine(['verify', 'rules', 'health-contract', 'options', 'schema']);
      const lineText = ctx.readText(ctx.truthFile)?.split(/\r?\n/)[line - 1];
      ctx.report({
        file: ctx.truthFile,
        line,
        column: lineText === undefined ? 1 : lineText.search(/\S|$/) + 1,
        message: `The health schema ${configured} named by health-contract's options does not exist, so /health cannot be checked.`,
        fix: `Create ${configured}, or point options.schema at the schema file (relative to the repository root).`,
      });
      return undefined;
    }
    text = readFileSync(packageFile(DEFAULT_SCHEMA), 'utf8');
    name = `trt's ${DEFAULT_SCHEMA}`;
  }
  let root: SchemaNode;
  try {
    root = JSON.parse(text) as SchemaNode;
  } catch (error) {
    ctx.report({
      file: configured,
      message: `${configured} is not valid JSON (${error instanceof Error ? error.message : String(error)}), so /health cannot be checked against it.`,
      fix: 'Fix the JSON syntax.',
    });
    return undefined;
  }
  const resolve = (node: SchemaNode): SchemaNode => {
    let current = node;
    for (let hops = 0; current.$ref?.startsWith('#/') && hops < 16; hops++) {
      const target = current.$ref
        .slice(2)
        .split('/')
        .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((at, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), root);
      if (!target || typeof target !== 'object') break;
      current = target as SchemaNode;
    }
    return current;
  };
  return { name, root, resolve };
}

interface CheckContext {
  file: string;
  schema: LoadedSchema;
  /** `queue.` inside nested objects, for messages. */
  path: string;
  add(finding: Finding): void;
}

/** The branch of a schema that describes an object's properties (itself, or one of its anyOf/oneOf). */
function objectBranch(schema: LoadedSchema, node: SchemaNode): SchemaNode | undefined {
  const resolved = schema.resolve(node);
  if (resolved.properties || resolved.additionalProperties === false) return resolved;
  for (const branch of resolved.anyOf ?? resolved.oneOf ?? []) {
    const found = objectBranch(schema, branch);
    if (found) return found;
  }
  return undefined;
}

function checkObject(object: ObjectFact, node: SchemaNode, context: CheckContext): void {
  const { schema, file, path, add } = context;
  const branch = objectBranch(schema, node);
  if (!branch) return;
  const properties = branch.properties ?? {};
  const required = new Set(branch.required ?? []);
  for (const property of object.properties) {
    const propertySchema = properties[property.name];
    if (!propertySchema) {
      if (branch.additionalProperties === false) {
        add({
          file,
          line: property.line,
          column: property.column,
          message: `\`${path}${property.name}\` is not a field of ${schema.name}, which allows no other fields (additionalProperties: false): the live /health fails validation.`,
          fix: `Add \`${path}${property.name}\` to the schema in the same change, or stop sending it.`,
        });
      }
      continue;
    }
    checkValue(property, propertySchema, required.has(property.name), context);
  }
  if (object.open) return;
  const missing = [...required].filter((name) => !object.properties.some((property) => property.name === name));
  if (missing.length === 0) return;
  add({
    file,
    line: object.line,
    column: object.column,
    message: `This /health body lacks ${missing.map((name) => `\`${path}${name}\``).join(', ')}, required by ${schema.name}: monitors and smoke S0 reject the answer.`,
    fix: `Add ${missing.length === 1 ? 'the field' : 'the fields'} (with null where the schema allows it when the value is unknown).`,
  });
}

function checkValue(property: PropertyFact, node: SchemaNode, required: boolean, context: CheckContext): void {
  const { schema, file, path, add } = context;
  const name = `${path}${property.name}`;
  const at = { file, line: property.line, column: property.column };
  for (const value of property.values) {
    if (value.type === 'bigint') {
      add({
        ...at,
        message: `\`${name}\` is a BigInt (${value.via ?? 'a BigInt'}): JSON.stringify throws "Do not know how to serialize a BigInt", so /health answers 500.`,
        fix: 'Convert it with Number(value) (exact below 2^53), or send a string only if the schema says string.',
      });
      return;
    }
    if (value.type === 'undefined') {
      if (!required) continue;
      add({
        ...at,
        message: `\`${name}\` is undefined, which JSON drops: the required field goes missing from the body.`,
        fix: 'Send null when the value is unknown (and allow null in the schema), or the real value.',
      });
      return;
    }
    const reason = value.type && rejection(schema, node, value);
    if (!reason) continue;
    add({ ...at, ...mismatch(name, value, reason, schema, node) });
    return;
  }
  if (property.object && objectBranch(schema, node)) checkObject(property.object, node, { ...context, path: `${name}.` });
}

function mismatch(name: string, value: ValueFact, reason: 'type' | 'value', schema: LoadedSchema, node: SchemaNode): { message: string; fix: string } {
  if (reason === 'value') {
    return {
      message: `\`${name}\` is ${JSON.stringify(value.literal)}, which ${schema.name} does not allow (${allowedValues(schema, node)}): clients that switch on it meet an unknown value.`,
      fix: 'Send one of the allowed values, or add this value to the schema in the same change.',
    };
  }
  const expected = [...allowedTypes(schema, node)];
  const expectedText = expected.join(' or ');
  if (value.type === 'string' && expected.includes('number')) {
    return {
      message: `\`${name}\` is sent as a string (${value.via ?? 'a string'}) but ${schema.name} types it ${expectedText}: consumers comparing numbers get text like "54.09".`,
      fix: 'Send a JSON number, e.g. `Math.round(x * 100) / 100` instead of `x.toFixed(2)`, and `Number(row.value)` for pg numeric or bigint columns.',
    };
  }
  return {
    message: `\`${name}\` is sent as ${value.type === 'array' || value.type === 'object' ? 'an' : 'a'} ${value.type}${value.via ? ` (${value.via})` : ''} but ${schema.name} types it ${expectedText}: the live /health fails validation.`,
    fix: `Send a ${expectedText} value.`,
  };
}

/** Why a value the syntax shows cannot satisfy a schema node (its type, or its literal value); undefined when it may. */
function rejection(schema: LoadedSchema, node: SchemaNode, value: ValueFact): 'type' | 'value' | undefined {
  const resolved = schema.resolve(node);
  const branches = alternatives(resolved);
  if (branches) {
    const reasons = branches.map((branch) => rejection(schema, branch, value));
    if (reasons.includes(undefined)) return undefined;
    return reasons.includes('value') ? 'value' : 'type';
  }
  const types = typesOf(resolved);
  if (types && value.type && !types.has(value.type)) return 'type';
  if (value.literal === undefined) return undefined;
  if (Array.isArray(resolved.enum) && !resolved.enum.includes(value.literal)) return 'value';
  if ('const' in resolved && resolved.const !== value.literal) return 'value';
  return undefined;
}

/** anyOf / oneOf branches of a node that says nothing else about the value. */
function alternatives(node: SchemaNode): SchemaNode[] | undefined {
  const branches = node.anyOf ?? node.oneOf;
  return branches && node.type === undefined && node.enum === undefined && !('const' in node) ? branches : undefined;
}

/** The JSON types a schema node allows (integer counts as number), or undefined when any. */
function typesOf(node: SchemaNode): Set<string> | undefined {
  if (node.type !== undefined) return new Set((Array.isArray(node.type) ? node.type : [node.type]).map((type) => (type === 'integer' ? 'number' : type)));
  const values = Array.isArray(node.enum) ? node.enum : 'const' in node ? [node.const] : undefined;
  return values && new Set(values.map(jsonType));
}

function allowedTypes(schema: LoadedSchema, node: SchemaNode): Set<string> {
  const resolved = schema.resolve(node);
  const branches = alternatives(resolved);
  if (branches) return new Set(branches.flatMap((branch) => [...allowedTypes(schema, branch)]));
  return typesOf(resolved) ?? new Set(['any value']);
}

function allowedValues(schema: LoadedSchema, node: SchemaNode): string {
  const resolved = schema.resolve(node);
  const branches = alternatives(resolved);
  if (branches) return branches.map((branch) => allowedValues(schema, branch)).join(' or ');
  if (Array.isArray(resolved.enum)) return `one of ${resolved.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  if ('const' in resolved) return `only ${JSON.stringify(resolved.const)}`;
  return [...(typesOf(resolved) ?? ['any value'])].join(' or ');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
