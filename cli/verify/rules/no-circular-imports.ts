/**
 * Modules in an import cycle start in an order that depends on which one happens to be imported
 * first: one of them runs before the other has finished loading, so a value it reads at load time
 * is still `undefined` (or throws from the temporal dead zone), and none of them can be
 * understood, tested or moved on its own any more.
 *
 * Each strongly connected group is reported once, on the import of its first module (by path)
 * that starts the shortest cycle through it: one knot of twenty modules is one problem, and the
 * shortest cycle is the cheapest place to start untying it. Local imports that do not resolve are
 * warned about rather than dropped, because a cycle through a file the resolver cannot find is
 * invisible, and silence would claim there is none.
 */
import { findImportCycles } from '../cycles.js';
import type { ImportEdge } from '../graph.js';
import { defineRule } from '../rule.js';

interface Options {
  /** Whether `import type` / `export type` edges take part (they vanish at run time, but still couple the modules). */
  includeTypeOnly: boolean;
  /** Whether `import()` and `require()` edges take part. */
  includeDynamic: boolean;
  /** `warn`: report local imports that resolve to no file; `off`: ignore them. */
  unresolved: 'warn' | 'off';
}

/**
 * Specifiers of files that are not code (styles, data, images): when one is missing, no cycle can
 * hide behind it, so it is another tool's business (the bundler's, or the test that loads it).
 */
const NOT_CODE = /\.(?:json|css|scss|sass|less|styl|svg|png|jpe?g|gif|webp|avif|ico|bmp|woff2?|ttf|otf|eot|mp3|mp4|wav|webm|html?|md|txt|csv|ya?ml|toml|xml|wasm|node|graphql|gql|sql)(?:\?.*)?$/i;

export default defineRule<Options>({
  id: 'no-circular-imports',
  description: 'No import cycles among the repository\'s modules: each cycle group is reported once, with its shortest cycle.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      includeTypeOnly: { type: 'boolean' },
      includeDynamic: { type: 'boolean' },
      unresolved: { enum: ['warn', 'off'] },
    },
  },
  defaultOptions: { includeTypeOnly: true, includeDynamic: true, unresolved: 'warn' },
  check(ctx) {
    const { includeTypeOnly, includeDynamic, unresolved } = ctx.options;
    const counts = (edge: ImportEdge) => (includeTypeOnly || !edge.typeOnly) && (includeDynamic || !edge.dynamic);

    for (const { group, cycle, edge } of findImportCycles(ctx.graph, counts)) {
      const chain = cycle.join(' → ');
      const size = group.length === 1 ? '1 module in this cycle group' : `${group.length} modules in this cycle group`;
      const selfImport = group.length === 1;
      ctx.report({
        file: edge.from,
        line: edge.line,
        column: edge.column,
        message: selfImport
          ? `${cycle[0]} imports itself (${chain}; ${size}): the import does nothing useful and usually means a wrong path.`
          : `Import cycle ${chain} (${size}): these modules load in an order that depends on which is imported first, so a value read while loading can still be undefined.`,
        fix: selfImport
          ? `Remove the import of '${edge.specifier}' from ${edge.from}.`
          : `Break the cycle at one import: move what both sides need into a module that imports neither, or pass the dependency in. The group is reported once, through its shortest cycle; re-run to see what remains of it.`,
      });
    }

    if (unresolved === 'off') return;
    for (const edge of ctx.graph.edges) {
      if (edge.resolution.kind !== 'unresolved' || !counts(edge) || NOT_CODE.test(edge.specifier)) continue;
      const spelled = edge.resolution.target === undefined ? '' : ` (${edge.resolution.target})`;
      ctx.report({
        file: edge.from,
        line: edge.line,
        column: edge.column,
        severity: 'warn',
        message: `'${edge.specifier}'${spelled} does not resolve to a file of the repository, so import cycles through it cannot be checked.`,
        fix: `Fix the path (or the tsconfig \`paths\`/\`baseUrl\` it relies on), or set verify.rules.no-circular-imports.options.unresolved to "off" if the file is generated at build time.`,
      });
    }
  },
});
