/**
 * truth.yaml's `routes` is the product's list of HTTP endpoints, each with its auth and SLA; smoke
 * scenarios, the ops commands and people read it. A declared route the application does not
 * register answers 404 where a client expects an endpoint; a registered route the truth does not
 * declare is an endpoint nobody reviewed the auth and SLA of. This rule compares both ways.
 *
 * The application's routes come from `scan/fastify-routes.ts` (shared with `health-contract`):
 * shorthand (`app.get('/x', h)` … `.all()`), `app.route({ method, url })`, plugins registered with
 * prefixes (inline, same file, imported, nested), and instances handed to setup functions.
 */
import picomatch from 'picomatch';
import type { TruthRoute } from '../../core/truth.js';
import { defineRule } from '../rule.js';
import {
  ANY_METHOD,
  applicationSeeds,
  composeRoutes,
  DEFAULT_APP_EXCLUDE,
  FASTIFY_PREFILTER,
  fastifyFactsOf,
  FastifyIndex,
  hasFastifyFacts,
  type AppRoute,
  type FastifyFacts,
} from '../scan/fastify-routes.js';

interface Options {
  /** Route paths (globs) left out of the comparison both ways, e.g. `/docs/**` from a docs plugin. */
  ignore: string[];
  /** Files (globs) whose Fastify instances are not the product's application, e.g. tests. */
  exclude: string[];
}

/** Whether a registered method serves a declared one: `.all()` serves every method, GET also serves HEAD. */
export function serves(registered: string, declared: string): boolean {
  return registered === declared || registered === ANY_METHOD || (declared === 'HEAD' && registered === 'GET');
}

/**
 * Whether a declared method accounts for a registered one: `.all()` needs any method declared on
 * its path, and an explicit HEAD is what Fastify adds to every GET anyway.
 */
export function covers(declared: string, registered: string): boolean {
  return registered === declared || registered === ANY_METHOD || (registered === 'HEAD' && declared === 'GET');
}

export default defineRule<Options, FastifyFacts>({
  id: 'truth-routes',
  description: 'The routes truth.yaml declares and the routes the Fastify application registers must be the same set.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ignore: { type: 'array', items: { type: 'string' } },
      exclude: { type: 'array', items: { type: 'string' } },
    },
  },
  defaultOptions: { ignore: [], exclude: DEFAULT_APP_EXCLUDE },
  prefilter: FASTIFY_PREFILTER,
  // Plugins imported through a barrel: the barrel is described when an application's file leads to it.
  onDemand: {
    seeds: (facts) => applicationSeeds(facts),
    describe: ({ ts, sourceFile, position }) => {
      const facts = fastifyFactsOf(ts, sourceFile, position);
      return hasFastifyFacts(facts) ? facts : undefined;
    },
  },
  scanFile(ctx) {
    const facts = fastifyFactsOf(ctx.ts, ctx.sourceFile, ctx.position);
    if (hasFastifyFacts(facts)) ctx.record(facts);
  },
  check(ctx) {
    const index = new FastifyIndex(ctx.facts(), ctx.graph);
    const app = composeRoutes(index, ctx.graph, { truth: ctx.truth, exclude: ctx.options.exclude });
    // Until the repository holds a Fastify application there is nothing to compare.
    if (!app.found) return;
    const ignored = ctx.options.ignore.length > 0 ? picomatch(ctx.options.ignore, { dot: true }) : () => false;
    const declared: readonly TruthRoute[] = ctx.truth.routes ?? [];
    const readable = app.routes.filter((route): route is AppRoute & { path: string } => route.path !== null && route.method !== '?');
    const unreadable = app.routes.filter((route) => route.path === null || route.method === '?');
    const unreadableNote =
      unreadable.length === 0
        ? ''
        : ` ${unreadable.length} registration${unreadable.length === 1 ? ' has' : 's have'} a path or method trt cannot read (first: ${unreadable[0]!.file}:${unreadable[0]!.line}); if it is this route, write its path as a string literal or a const.`;
    const truthLines = ctx.readText(ctx.truthFile)?.split(/\r?\n/);

    declared.forEach((route, position) => {
      const method = route.method.toUpperCase();
      if (ignored(route.path)) return;
      if (readable.some((registered) => registered.path === route.path && serves(registered.method, method))) return;
      const line = ctx.truthLine(['routes', position]);
      const lineText = truthLines?.[line - 1];
      ctx.report({
        file: ctx.truthFile,
        line,
        column: lineText === undefined ? 1 : (/^\s*(?:-\s*)?/.exec(lineText)?.[0].length ?? 0) + 1,
        message: `truth.yaml declares ${method} ${route.path}, but the Fastify application does not register it: clients and smoke scenarios that rely on it get 404.${unreadableNote}`,
        fix: `Register ${method} ${route.path} in the application, or remove it from truth.yaml's routes if the product dropped it (a route a package plugin registers where trt cannot see it goes in verify.rules.truth-routes.options.ignore).`,
      });
    });

    const reported = new Set<string>();
    for (const route of readable) {
      if (ignored(route.path)) continue;
      if (declared.some((candidate) => candidate.path === route.path && covers(candidate.method.toUpperCase(), route.method))) continue;
      const key = `${route.method} ${route.path} ${route.file}:${route.line}:${route.column}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const what = route.method === ANY_METHOD ? `every method on ${route.path}` : `${route.method} ${route.path}`;
      ctx.report({
        file: route.file,
        line: route.line,
        column: route.column,
        message: `The application registers ${what}, which truth.yaml does not declare: an undeclared endpoint has no reviewed auth or SLA and no smoke scenario covers it.`,
        fix: `Declare it in truth.yaml's routes ({ method: ${route.method === ANY_METHOD ? 'GET' : route.method}, path: ${route.path}, auth: … }), remove the registration, or list the path in verify.rules.truth-routes.options.ignore.`,
      });
    }
  },
});
