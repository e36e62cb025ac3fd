/**
 * Wildcards hide what a module depends on and what it offers: `export *` re-exports whatever the
 * other module grows (and silently shadows clashes), `import * as` defeats tree-shaking and makes
 * every use site a guess. Named imports and exports keep the contract visible.
 */
import picomatch from 'picomatch';
import type TS from 'typescript';
import { defineRule } from '../rule.js';

interface Options {
  /** Module specifiers (globs) whose namespace import is allowed, e.g. `node:*` or `typescript`. */
  allow: string[];
}

export default defineRule<Options>({
  id: 'no-wildcard-imports',
  description: 'No `export * from`, `export * as` or `import * as`: name what a module imports and re-exports.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { allow: { type: 'array', items: { type: 'string' } } },
  },
  defaultOptions: { allow: [] },
  prefilter: /\*\s*(?:as\b|from\b)/,
  scanFile(ctx) {
    const { ts, sourceFile, options } = ctx;
    const allowed = options.allow.length > 0 ? picomatch(options.allow) : () => false;
    const specifierOf = (node: TS.Expression | undefined) => (node && ts.isStringLiteral(node) ? node.text : undefined);
    for (const statement of sourceFile.statements) {
      if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
        const specifier = specifierOf(statement.moduleSpecifier);
        if (specifier === undefined || allowed(specifier)) continue;
        if (!statement.exportClause) {
          ctx.report({
            node: statement,
            message: `\`export * from '${specifier}'\` re-exports everything that module will ever export.`,
            fix: `List the names: \`export { a, b } from '${specifier}'\`.`,
          });
        } else if (ts.isNamespaceExport(statement.exportClause)) {
          ctx.report({
            node: statement,
            message: `\`export * as ${statement.exportClause.name.text} from '${specifier}'\` re-exports a whole module as a namespace.`,
            fix: `Export the names consumers need: \`export { a, b } from '${specifier}'\`.`,
          });
        }
      } else if (ts.isImportDeclaration(statement)) {
        const bindings = statement.importClause?.namedBindings;
        const specifier = specifierOf(statement.moduleSpecifier);
        if (!bindings || !ts.isNamespaceImport(bindings) || specifier === undefined || allowed(specifier)) continue;
        ctx.report({
          node: statement,
          message: `\`import * as ${bindings.name.text} from '${specifier}'\` imports a whole module as a namespace.`,
          fix: `Import the names you use: \`import { a, b } from '${specifier}'\`, or allow this module in verify.rules.no-wildcard-imports.options.allow.`,
        });
      }
    }
  },
});
