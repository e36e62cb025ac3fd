/**
 * The imports the graph is built from: every form a file can depend on another by, with the
 * position of its statement and whether it is type-only or dynamic, and nothing from comments or
 * strings.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { ImportRef } from '../../../cli/verify/graph.js';
import { scanFile } from '../../../cli/verify/scan/scan-file.js';

function importsOf(file: string, lines: string[]): ImportRef[] {
  return scanFile(ts, file, lines.join('\n'), [], { version: 1 }).imports;
}

const ref = (specifier: string, line: number, column: number, flags: { typeOnly?: boolean; dynamic?: boolean } = {}): ImportRef => ({
  specifier,
  line,
  column,
  typeOnly: flags.typeOnly ?? false,
  dynamic: flags.dynamic ?? false,
});

describe('extractImports', () => {
  it.each<[string, string, string[], ImportRef[]]>([
    ['default import', 'a.ts', ["import a from './a.js';"], [ref('./a.js', 1, 1)]],
    ['side-effect import', 'a.ts', ["import './polyfill.js';"], [ref('./polyfill.js', 1, 1)]],
    ['import type', 'a.ts', ["import type { T } from './t.js';"], [ref('./t.js', 1, 1, { typeOnly: true })]],
    ['every named binding marked type', 'a.ts', ["import { type T, type U } from './t.js';"], [ref('./t.js', 1, 1, { typeOnly: true })]],
    ['a value beside a type binding', 'a.ts', ["import { type T, value } from './t.js';"], [ref('./t.js', 1, 1)]],
    ['a default beside type bindings', 'a.ts', ["import d, { type T } from './t.js';"], [ref('./t.js', 1, 1)]],
    ['export from', 'a.ts', ["export { x } from './x.js';"], [ref('./x.js', 1, 1)]],
    ['export type from', 'a.ts', ["export type { T } from './t.js';"], [ref('./t.js', 1, 1, { typeOnly: true })]],
    ['export named types from', 'a.ts', ["export { type T } from './t.js';"], [ref('./t.js', 1, 1, { typeOnly: true })]],
    ['export star', 'a.ts', ["export * from './all.js';"], [ref('./all.js', 1, 1)]],
    ['import equals require', 'a.ts', ["import fs = require('./cjs');"], [ref('./cjs', 1, 1)]],
    ['dynamic import', 'a.ts', ['async function f() {', "  return import('./lazy.js');", '}'], [ref('./lazy.js', 2, 10, { dynamic: true })]],
    ['require', 'a.cjs', ["const { b } = require('./b.cjs');"], [ref('./b.cjs', 1, 15, { dynamic: true })]],
    ['require with a template literal', 'a.js', ['const b = require(`./b.js`);'], [ref('./b.js', 1, 11, { dynamic: true })]],
    ['import type node', 'a.ts', ["type T = import('./types.js').T;"], [ref('./types.js', 1, 10, { typeOnly: true })]],
    [
      'position skips leading comments and indentation',
      'a.ts',
      ['/** header */', '// note', "  import { a } from './a.js';"],
      [ref('./a.js', 3, 3)],
    ],
    [
      'comments, strings and non-literal specifiers are not imports',
      'a.ts',
      [
        "// import './commented.js';",
        "/* require('./block.js') */",
        "const text = \"import('./in-string.js')\";",
        'const name = "./computed.js";',
        'export const load = () => import(name);',
        "const other = { require: (id: string) => id }; other.require('./method.js');",
        "require('./a' + name);",
      ],
      [],
    ],
    [
      'source order across forms',
      'a.ts',
      ["const lazy = () => import('./z.js');", "import { y } from './y.js';", "export { x } from './x.js';"],
      [ref('./z.js', 1, 20, { dynamic: true }), ref('./y.js', 2, 1), ref('./x.js', 3, 1)],
    ],
  ])('%s', (_name, file, lines, expected) => {
    expect(importsOf(file, lines)).toEqual(expected);
  });
});
