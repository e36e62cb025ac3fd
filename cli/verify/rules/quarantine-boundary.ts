/**
 * The quarantine (`legacy.quarantine`) keeps old code for reference only: it is not built, tested
 * or run, so the moment product code imports from it, unmaintained code is back in production and
 * the quarantine can no longer simply be deleted. Every way of depending on a file counts — static
 * imports, re-exports, `import()`, `require()` and, unless allowed, type-only imports (a type
 * taken from legacy code still ties the product's shapes to it). A specifier that points into the
 * quarantine at a file that is gone is reported too: the intent to depend on legacy code is the
 * problem, and it will fail at run time besides.
 *
 * The import graph holds only files outside the quarantine (quarantined files are never scanned),
 * so every edge is a candidate and imports among quarantined files are never looked at.
 */
import { posix } from 'node:path';
import type { ImportEdge } from '../graph.js';
import { defineRule } from '../rule.js';

interface Options {
  /** Let `import type` / `export type` reach into the quarantine (values still may not). */
  allowTypeOnly: boolean;
}

export default defineRule<Options>({
  id: 'quarantine-boundary',
  description: 'No import of any kind from outside `legacy.quarantine` into it: quarantined code is kept for reference, never run.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { allowTypeOnly: { type: 'boolean' } },
  },
  defaultOptions: { allowTypeOnly: false },
  check(ctx) {
    const quarantine = ctx.truth.legacy?.quarantine?.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!quarantine) return;
    for (const edge of ctx.graph.edges) {
      if (ctx.options.allowTypeOnly && edge.typeOnly) continue;
      const target = pointsAt(edge);
      if (target === undefined || !ctx.isQuarantined(target)) continue;
      const kind = edge.typeOnly ? 'The type-only import of' : edge.dynamic ? 'The import()/require() of' : 'The import of';
      const missing = edge.resolution.kind === 'unresolved' ? ', which no longer exists' : '';
      ctx.report({
        file: edge.from,
        line: edge.line,
        column: edge.column,
        message: `${kind} '${edge.specifier}' reaches into the quarantine (${target}${missing}): code in ${quarantine}/ is kept for reference, not maintained or run, so nothing outside it may depend on it.`,
        fix: edge.typeOnly
          ? `Declare the type in the product, or allow type-only imports with verify.rules.quarantine-boundary.options.allowTypeOnly.`
          : `Move what you need out of ${quarantine}/ into the product (with tests), or remove the import.`,
      });
    }
  },
});

/**
 * The root-relative path an import points at: where it resolved, else the path its specifier
 * spells (a relative specifier whose file is gone still says where it meant to go).
 */
function pointsAt(edge: ImportEdge): string | undefined {
  const { resolution, specifier } = edge;
  if (resolution.kind === 'local' || resolution.kind === 'asset') return resolution.target;
  if (resolution.kind === 'external') return undefined;
  if (resolution.target !== undefined) return resolution.target;
  return specifier.startsWith('./') || specifier.startsWith('../') ? posix.normalize(posix.join(posix.dirname(edge.from), specifier)) : undefined;
}
