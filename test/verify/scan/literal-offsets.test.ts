import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { literalTextOffsets } from '../../../cli/verify/scan/ast.js';

/** The source text at the offset where `needle` starts in the literal's cooked text. */
function sourceAt(code: string, needle: string): string {
  const sourceFile = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true);
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isTemplateLiteralToken(node)) && node.text.includes(needle)) {
      const offsets = literalTextOffsets(ts, sourceFile, node);
      expect(offsets).toHaveLength(node.text.length + 1);
      found = code.slice(offsets[node.text.indexOf(needle)]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found!;
}

describe('literalTextOffsets', () => {
  it.each([
    ['plain string', "const s = 'abc KEY';", 'KEY', 'KEY'],
    ['after simple escapes', "const s = 'a\\n\\t\\'b KEY';", 'KEY', 'KEY'],
    ['after hex and unicode escapes', "const s = 'x\\x41\\u0042\\u{1F600} KEY';", 'KEY', 'KEY'],
    ['after a line continuation', "const s = 'a\\\nb KEY';", 'KEY', 'KEY'],
    ['at an escaped quote', "const s = 'a \\'KEY';", "'KEY", "\\'KEY"],
    ['template head', 'const s = `a\\n KEY ${x} tail`;', 'KEY', 'KEY'],
    ['template middle', 'const s = `${a} mid KEY ${b}`;', 'KEY', 'KEY'],
    ['template tail with CRLF', 'const s = `${a}\r\n KEY`;', 'KEY', 'KEY'],
  ])('%s', (_name, code, cooked, source) => {
    expect(sourceAt(code, cooked).startsWith(source)).toBe(true);
  });
});
