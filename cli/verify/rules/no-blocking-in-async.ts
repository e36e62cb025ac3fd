/**
 * A bot serves every chat from one event loop. A synchronous file, process, compression or
 * key-derivation call inside an async function or a request handler stops that loop until it
 * returns: webhooks queue up, the 500 ms acknowledgement budget is spent, `/health` stalls and
 * Telegram retries. The promise (or callback) form of the same API does the work off the loop.
 *
 * What it finds, inside an async function or a request handler:
 * - every `*Sync` function of `node:fs` (also `fs-extra`, `graceful-fs`), `node:child_process`
 *   and `node:zlib`;
 * - the CPU-heavy synchronous functions of `node:crypto` (`pbkdf2Sync`, `scryptSync`,
 *   `generateKeyPairSync`, `generateKeySync`, `generatePrimeSync`, `checkPrimeSync`);
 *   `randomBytes`/`randomFillSync` on small buffers are cheap and are left alone;
 * - `Atomics.wait`.
 *
 * Calls are recognised through what the file binds the name to: `import fs from 'node:fs'`,
 * `import * as fs`, `import { readFileSync as read }`, `require('fs')` (whole, destructured or
 * inline), `await import('fs')`, and `const { readFileSync } = fs`. A `readFileSync` of the
 * project's own, or of any other module, is not reported.
 *
 * Request handlers are functions given to route and middleware registration even when they are
 * not async: Express/Fastify `app.get|post|put|patch|delete|head|options|all(path, …handlers)`,
 * `app.route({ handler, preHandler, onRequest, … })`, `app.route(path).get(handler)`,
 * `addHook(name, fn)`, `setErrorHandler`, `setNotFoundHandler`, `use(fn)`, and grammY's
 * `bot.on(filter, …)`, `command`, `hears`, `callbackQuery`, `inlineQuery`, `chosenInlineResult`,
 * `preCheckoutQuery`, `shippingQuery`, `gameQuery`, `reaction`, `chatType`, `errorBoundary`.
 * A handler given by name is found when the file declares it.
 *
 * A non-async function expression passed as an argument (`items.map(x => readFileSync(x))`, a
 * `new Promise` executor, a `.then` callback) or called on the spot is looked through: it runs
 * on the same event loop while, or right after, its async parent runs. Named functions,
 * methods and functions stored in variables are judged on their own: they may be called from
 * startup code, where synchronous reads are fine. Event listeners (`emitter.on(event, fn)`) run
 * when their event fires, so they are judged on their own too (`process.on('exit', fn)` must
 * even be synchronous); grammY's `bot.on(filter, fn)` is a handler and is reported as one.
 */
import type TS from 'typescript';
import { defineRule, type TypeScript } from '../rule.js';
import { calleeName, constInitializer, dottedName, enclosingFunction, isAsyncFunction, staticString, unwrapExpression, walk } from '../scan/ast.js';

interface Options {
  /** Function names to tolerate, e.g. `existsSync` or `Atomics.wait`. */
  allow: string[];
}

type Family = 'fs' | 'child_process' | 'zlib' | 'crypto';

export const MODULE_FAMILIES: Readonly<Record<string, Family>> = {
  fs: 'fs',
  'node:fs': 'fs',
  'fs-extra': 'fs',
  'graceful-fs': 'fs',
  child_process: 'child_process',
  'node:child_process': 'child_process',
  zlib: 'zlib',
  'node:zlib': 'zlib',
  crypto: 'crypto',
  'node:crypto': 'crypto',
};

/** A specifier of one of those modules somewhere in the text (`'fs'`, `"node:zlib"`, `'fs-extra'`). */
const MODULE_MENTION = /(?:['"`]|node:)(?:fs|child_process|zlib|crypto|graceful-fs)\b/;

const BLOCKING_CRYPTO = new Set(['pbkdf2Sync', 'scryptSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync', 'checkPrimeSync']);

/** Whether a module family's export blocks the event loop. */
export function isBlockingExport(family: Family, name: string): boolean {
  return family === 'crypto' ? BLOCKING_CRYPTO.has(name) : name.endsWith('Sync') && name.length > 4;
}

/** The promise functions of `node:fs/promises`, for naming the replacement of a `*Sync` call. */
const FS_PROMISES = new Set([
  'access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'lchown', 'lutimes', 'link', 'lstat', 'mkdir', 'mkdtemp', 'open',
  'opendir', 'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink', 'truncate',
  'unlink', 'utimes', 'writeFile',
]);

/** What to call instead of a blocking function. */
export function blockingFix(family: Family | 'atomics', name: string): string {
  const base = name.replace(/Sync$/, '');
  switch (family) {
    case 'atomics':
      return 'Use `await Atomics.waitAsync(…).value`, or do the waiting in a worker thread.';
    case 'fs':
      if (name === 'existsSync') return "Use `await access(path)` from 'node:fs/promises' (it rejects when the path is missing), or check once at startup.";
      if (FS_PROMISES.has(base)) return `Use \`await ${base}(…)\` from 'node:fs/promises', or do it once at startup, outside the handler.`;
      return `Use the promise API of 'node:fs/promises' (a FileHandle from \`open()\`) instead of \`${name}\`.`;
    case 'child_process':
      if (name === 'spawnSync') return "Use `spawn` from 'node:child_process' and `await once(child, 'close')` from 'node:events'.";
      return `Use \`await promisify(${base})(…)\` with \`promisify\` from 'node:util' and \`${base}\` from 'node:child_process'.`;
    case 'zlib':
    case 'crypto':
      return `Use \`await promisify(${base})(…)\` with \`promisify\` from 'node:util' and \`${base}\` from 'node:${family}'.`;
  }
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all']);
/** grammY registrations whose first argument is a filter, a command or a pattern and the rest are middleware. */
const BOT_METHODS = new Set([
  'command', 'hears', 'callbackQuery', 'inlineQuery', 'chosenInlineResult', 'preCheckoutQuery', 'shippingQuery', 'gameQuery', 'reaction', 'chatType',
]);
/** Fastify route options that hold request-time functions. */
const ROUTE_FUNCTION_OPTIONS = new Set([
  'handler', 'preHandler', 'onRequest', 'preParsing', 'preValidation', 'preSerialization', 'onSend', 'onResponse', 'onError', 'onTimeout', 'errorHandler',
]);
/** Update names `bot.on()` takes (before any `:` narrowing); EventEmitter events such as 'exit' are not among them. */
const UPDATE_NAMES = new Set([
  'message', 'edited_message', 'channel_post', 'edited_channel_post', 'business_connection', 'business_message', 'edited_business_message',
  'deleted_business_messages', 'message_reaction', 'message_reaction_count', 'inline_query', 'chosen_inline_result', 'callback_query',
  'shipping_query', 'pre_checkout_query', 'purchased_paid_media', 'poll', 'poll_answer', 'my_chat_member', 'chat_member',
  'chat_join_request', 'chat_boost', 'removed_chat_boost', 'msg', 'edit', 'text', 'photo', 'document', 'successful_payment',
]);
/**
 * Event listeners run when their event fires, not as part of the function that registers them;
 * some must even be synchronous (`process.on('exit')`). Bot update listeners are handlers anyway.
 */
const LISTENER_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener', 'addEventListener']);
/** Telegraf's filter helpers (`bot.on(message('text'), …)`). */
const UPDATE_FILTER_FUNCTIONS = new Set(['message', 'editedMessage', 'channelPost', 'editedChannelPost', 'callbackQuery']);

interface Binding {
  family: Family;
  /** The export a local name stands for; undefined for a whole-module binding. */
  member?: string;
}

export default defineRule<Options>({
  id: 'no-blocking-in-async',
  description: 'Synchronous fs, child_process, zlib and crypto calls and Atomics.wait inside async functions and request handlers stall the event loop.',
  defaultSeverity: 'warn',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { allow: { type: 'array', items: { type: 'string', minLength: 1 } } },
  },
  defaultOptions: { allow: [] },
  // Two plain literals: every blocking name ends in "Sync", and Atomics.wait names Atomics.
  prefilter: /Sync|Atomics/,
  scanFile(ctx) {
    const { ts, sourceFile, text, options } = ctx;
    // Most files that say "Sync" load none of these modules: spare them the walk.
    if (!MODULE_MENTION.test(text) && !text.includes('Atomics')) return;
    const allowed = new Set(options.allow);
    const { bindings, calls } = moduleBindings(ts, sourceFile);
    let handlers: Map<TS.Node, string> | undefined;
    const handlersOfFile = () => (handlers ??= requestHandlers(ts, sourceFile, calls));

    for (const call of calls) {
      const blocking = blockingCall(ts, call, bindings);
      if (!blocking || allowed.has(blocking.name)) continue;
      const where = blockingContext(ts, call, handlersOfFile);
      if (!where) continue;
      ctx.report({
        node: blocking.nameNode,
        message: `\`${blocking.name}\`${blocking.alias ? ` (imported as \`${blocking.alias}\`)` : ''} blocks the event loop inside ${where}: every other update and request waits until it returns.`,
        fix: blockingFix(blocking.family, blocking.name),
      });
    }
  },
});

/**
 * What each local name of the file stands for among the blocking modules, and every call of the
 * file, in one walk: calls are judged after it, so a `require` below its use still counts.
 */
function moduleBindings(ts: TypeScript, sourceFile: TS.SourceFile): { bindings: Map<string, Binding>; calls: TS.CallExpression[] } {
  const bindings = new Map<string, Binding>();
  const calls: TS.CallExpression[] = [];
  const bindPattern = (pattern: TS.ObjectBindingPattern, family: Family) => {
    for (const element of pattern.elements) {
      const imported = element.propertyName ? (ts.isIdentifier(element.propertyName) || ts.isStringLiteral(element.propertyName) ? element.propertyName.text : undefined) : ts.isIdentifier(element.name) ? element.name.text : undefined;
      if (imported !== undefined && ts.isIdentifier(element.name)) bindings.set(element.name.text, imported === 'default' ? { family } : { family, member: imported });
    }
  };
  walk(ts, sourceFile, (node) => {
    if (ts.isCallExpression(node)) calls.push(node);
    if (ts.isImportDeclaration(node)) {
      const family = ts.isStringLiteral(node.moduleSpecifier) ? MODULE_FAMILIES[node.moduleSpecifier.text] : undefined;
      const clause = node.importClause;
      if (!family || !clause || clause.isTypeOnly) return false;
      if (clause.name) bindings.set(clause.name.text, { family });
      const named = clause.namedBindings;
      if (named && ts.isNamespaceImport(named)) bindings.set(named.name.text, { family });
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          const imported = element.propertyName?.text ?? element.name.text;
          if (!element.isTypeOnly) bindings.set(element.name.text, imported === 'default' ? { family } : { family, member: imported });
        }
      }
      return false;
    }
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const family = moduleFamilyOf(ts, node.moduleReference.expression);
      if (family) bindings.set(node.name.text, { family });
      return false;
    }
    if (ts.isVariableDeclaration(node) && node.initializer) {
      const initializer = unwrapExpression(ts, node.initializer, true);
      const loaded = ts.isCallExpression(initializer) ? loadedModule(ts, initializer) : undefined;
      const source = loaded ? { family: loaded } : ts.isIdentifier(initializer) ? bindings.get(initializer.text) : undefined;
      if (source && source.member === undefined) {
        if (ts.isIdentifier(node.name)) bindings.set(node.name.text, { family: source.family });
        else if (ts.isObjectBindingPattern(node.name)) bindPattern(node.name, source.family);
      } else if (ts.isIdentifier(node.name) && (ts.isPropertyAccessExpression(initializer) || ts.isElementAccessExpression(initializer))) {
        const receiver = ts.isIdentifier(initializer.expression) ? bindings.get(initializer.expression.text) : undefined;
        const member = memberName(ts, initializer);
        if (receiver && receiver.member === undefined && member) bindings.set(node.name.text, { family: receiver.family, member });
      }
    }
    return undefined;
  });
  return { bindings, calls };
}

/** The family of `require('fs')` or `import('fs')`. */
function loadedModule(ts: TypeScript, call: TS.CallExpression): Family | undefined {
  const isLoader = (ts.isIdentifier(call.expression) && call.expression.text === 'require') || call.expression.kind === ts.SyntaxKind.ImportKeyword;
  return isLoader ? moduleFamilyOf(ts, call.arguments[0]) : undefined;
}

function moduleFamilyOf(ts: TypeScript, specifier: TS.Node | undefined): Family | undefined {
  const text = staticString(ts, specifier);
  return text === undefined ? undefined : MODULE_FAMILIES[text];
}

function memberName(ts: TypeScript, access: TS.PropertyAccessExpression | TS.ElementAccessExpression): string | undefined {
  return ts.isPropertyAccessExpression(access) ? access.name.text : staticString(ts, access.argumentExpression);
}

interface BlockingCall {
  family: Family | 'atomics';
  /** The export called (`readFileSync`), or `Atomics.wait`: what `allow` matches. */
  name: string;
  /** The local name of a renamed import (`read` for `import { readFileSync as read }`). */
  alias?: string;
  nameNode: TS.Node;
}

function blockingCall(ts: TypeScript, call: TS.CallExpression, bindings: ReadonlyMap<string, Binding>): BlockingCall | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) {
    const binding = bindings.get(callee.text);
    if (binding?.member && isBlockingExport(binding.family, binding.member)) {
      return { family: binding.family, name: binding.member, ...(binding.member === callee.text ? {} : { alias: callee.text }), nameNode: callee };
    }
    return undefined;
  }
  if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return undefined;
  const member = memberName(ts, callee);
  if (member === undefined) return undefined;
  const nameNode = ts.isPropertyAccessExpression(callee) ? callee.name : callee.argumentExpression;
  const receiver = callee.expression;
  if (ts.isIdentifier(receiver) && receiver.text === 'Atomics' && member === 'wait' && !bindings.has('Atomics')) {
    return { family: 'atomics', name: 'Atomics.wait', nameNode };
  }
  const wholeModule = ts.isIdentifier(receiver) ? bindings.get(receiver.text) : undefined;
  const family = wholeModule && wholeModule.member === undefined ? wholeModule.family : ts.isCallExpression(receiver) ? loadedModule(ts, receiver) : undefined;
  return family && isBlockingExport(family, member) ? { family, name: member, nameNode } : undefined;
}

/** "async function `load`" or "the `app.get` handler" when the call runs on the event loop of a request; undefined otherwise. */
function blockingContext(ts: TypeScript, call: TS.CallExpression, handlers: () => ReadonlyMap<TS.Node, string>): string | undefined {
  for (let fn = enclosingFunction(ts, call); fn; fn = enclosingFunction(ts, fn)) {
    const handler = handlers().get(fn);
    if (handler) return handler;
    if (isAsyncFunction(ts, fn)) {
      const name = functionName(ts, fn);
      return name ? `async function \`${name}\`` : 'an async function';
    }
    if (!runsWithItsParent(ts, fn)) return undefined;
  }
  return undefined;
}

/** Inline callbacks (`xs.map(x => …)`, `new Promise(executor)`, `.then(fn)`) and immediately invoked functions. */
function runsWithItsParent(ts: TypeScript, fn: TS.SignatureDeclaration): boolean {
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return false;
  let outer: TS.Node = fn;
  while (ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  const parent = outer.parent;
  if (ts.isCallExpression(parent) && parent.expression === outer) return true;
  if (!(ts.isCallExpression(parent) || ts.isNewExpression(parent)) || !parent.arguments?.includes(outer as TS.Expression)) return false;
  return !(ts.isCallExpression(parent) && LISTENER_METHODS.has(calleeName(ts, parent) ?? ''));
}

function functionName(ts: TypeScript, fn: TS.SignatureDeclaration): string | undefined {
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name) || ts.isPrivateIdentifier(fn.name))) return fn.name.text;
  const parent = fn.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return undefined;
}

/**
 * The functions registered as route, hook, middleware or bot update handlers among the file's
 * calls, with how to name them.
 */
function requestHandlers(ts: TypeScript, sourceFile: TS.SourceFile, calls: readonly TS.CallExpression[]): Map<TS.Node, string> {
  const handlers = new Map<TS.Node, string>();
  const byName = new Map<string, string>();
  const add = (candidate: TS.Expression, label: string) => {
    const node = unwrapExpression(ts, candidate, true);
    if (ts.isArrayLiteralExpression(node)) node.elements.forEach((element) => add(element, label));
    else if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) handlers.set(node, label);
    else if (ts.isIdentifier(node)) byName.set(node.text, label);
    else if (ts.isObjectLiteralExpression(node)) addRouteOptions(node, label);
  };
  const addRouteOptions = (object: TS.ObjectLiteralExpression, label: string) => {
    for (const property of object.properties) {
      const name = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
      if (name === undefined || !ROUTE_FUNCTION_OPTIONS.has(name)) continue;
      if (ts.isPropertyAssignment(property)) add(property.initializer, label);
      else if (ts.isShorthandPropertyAssignment(property)) add(property.name, label);
      else if (ts.isMethodDeclaration(property)) handlers.set(property, label);
    }
  };

  for (const call of calls) {
    const registered = registeredArguments(ts, call);
    if (registered.length === 0) continue;
    const access = call.expression as TS.PropertyAccessExpression;
    const receiver = access.expression;
    const chained = ts.isCallExpression(receiver) ? `${dottedName(ts, receiver.expression) ?? '…'}(…).${access.name.text}` : access.name.text;
    const label = `the \`${dottedName(ts, access) ?? chained}\` handler`;
    registered.forEach((argument) => add(argument, label));
  }

  if (byName.size > 0) {
    walk(ts, sourceFile, (node) => {
      if (ts.isFunctionDeclaration(node) && node.name && byName.has(node.name.text)) handlers.set(node, byName.get(node.name.text)!);
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && byName.has(node.name.text) && node.initializer) {
        const initializer = node.initializer;
        if (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer)) handlers.set(initializer, byName.get(node.name.text)!);
      }
    });
  }
  return handlers;
}

/** The arguments of a route, hook, middleware or bot registration that may be handlers (none for any other call). */
function registeredArguments(ts: TypeScript, call: TS.CallExpression): readonly TS.Expression[] {
  if (!ts.isPropertyAccessExpression(call.expression)) return [];
  const method = call.expression.name.text;
  const args = call.arguments;
  const receiver = call.expression.expression;
  if (HTTP_METHODS.has(method)) {
    // The Express chain `router.route('/files').get(handler)` has no path of its own.
    if (ts.isCallExpression(receiver) && calleeName(ts, receiver) === 'route') return args;
    return args.length >= 2 && isRoutePath(ts, args[0]!) ? args.slice(1) : [];
  }
  if (method === 'route') return args.length === 1 && ts.isObjectLiteralExpression(args[0]!) ? args : [];
  if (method === 'use' || method === 'setErrorHandler' || method === 'setNotFoundHandler' || method === 'errorBoundary') return args;
  if (method === 'addHook' || BOT_METHODS.has(method) || (method === 'on' && args[0] && isUpdateFilter(ts, args[0]))) return args.slice(1);
  return [];
}

/** A route path: `'/users/:id'`, a template starting with `/`, a RegExp, an array of paths, or a `const` holding one. */
function isRoutePath(ts: TypeScript, argument: TS.Expression): boolean {
  const text = staticString(ts, argument);
  if (text !== undefined) return text.startsWith('/') || text === '*';
  if (ts.isTemplateExpression(argument)) return argument.head.text.startsWith('/');
  if (ts.isRegularExpressionLiteral(argument)) return true;
  if (ts.isArrayLiteralExpression(argument)) return argument.elements.length > 0 && argument.elements.every((element) => isRoutePath(ts, element));
  if (ts.isIdentifier(argument)) {
    const initializer = constInitializer(ts, argument);
    return initializer !== undefined && !ts.isIdentifier(initializer) && isRoutePath(ts, initializer);
  }
  return false;
}

/** A grammY filter query (`'message:text'`, `'callback_query'`, a list of them) or a Telegraf filter call. */
function isUpdateFilter(ts: TypeScript, argument: TS.Expression): boolean {
  const text = staticString(ts, argument);
  if (text !== undefined) return text.includes(':') || UPDATE_NAMES.has(text);
  if (ts.isArrayLiteralExpression(argument)) return argument.elements.length > 0 && argument.elements.every((element) => isUpdateFilter(ts, element));
  if (ts.isCallExpression(argument)) return UPDATE_FILTER_FUNCTIONS.has(calleeName(ts, argument) ?? '');
  return false;
}

