/**
 * The per-file unit of work: parse one file once, extract its imports, and run every active
 * rule's `scanFile` on the same tree. Pure: the result depends only on the text and the
 * configuration, which is what lets the engine cache it by content hash and run it in workers.
 */
import type TS from 'typescript';
import type { Truth } from '../../core/truth.js';
import { ENGINE_RULES, ruleFailedOnFile, type RawFinding } from '../finding.js';
import type { ImportRef } from '../graph.js';
import type { AnyRule, FileReport, TypeScript } from '../rule.js';
import { walk } from './ast.js';

export interface FileScan {
  imports: ImportRef[];
  findings: RawFinding[];
  /** Facts recorded per rule id. */
  facts: Record<string, unknown[]>;
  /** True when the file does not parse: no rule looked at it. */
  parseError: boolean;
}

export interface Scanner {
  rule: AnyRule;
  options: unknown;
}

export function scriptKindFor(ts: TypeScript, file: string): TS.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/**
 * Parses a file the way every scan needs it: without JSDoc (no rule reads it, and skipping it is
 * about a tenth of the parse) and without parent links, which {@link linkParents} adds only when
 * a rule is about to look at the tree: most files of a large repository need no rule's walk.
 */
export function parseSource(ts: TypeScript, file: string, text: string): TS.SourceFile {
  return ts.createSourceFile(file, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, false, scriptKindFor(ts, file));
}

/** Sets every node's `parent`, which rules walk up through; a plain recursion is cheaper than the parser's own pass. */
export function linkParents(ts: TypeScript, sourceFile: TS.SourceFile): void {
  const link = (node: TS.Node): void => {
    ts.forEachChild(node, (child) => {
      (child as { parent: TS.Node }).parent = node;
      link(child);
    });
  };
  link(sourceFile);
}

/** 1-based line and column of a node's first token, or of a text offset. */
function positionIn(sourceFile: TS.SourceFile): (at: TS.Node | number) => { line: number; column: number } {
  return (at) => {
    const offset = typeof at === 'number' ? at : at.getStart(sourceFile);
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(offset);
    return { line: line + 1, column: character + 1 };
  };
}

export function scanFile(ts: TypeScript, file: string, text: string, scanners: readonly Scanner[], truth: Truth): FileScan {
  const sourceFile = parseSource(ts, file, text);
  const position = positionIn(sourceFile);

  const syntaxError = firstSyntaxError(sourceFile);
  if (syntaxError) {
    const at = position(syntaxError.start);
    return {
      imports: [],
      findings: [
        {
          rule: ENGINE_RULES.parseError,
          file,
          ...at,
          message: `The file does not parse (${syntaxError.message}), so no rule could check it.`,
          fix: 'Fix the syntax error, or exclude the file with verify.exclude in truth.yaml if it is not source code.',
        },
      ],
      facts: {},
      parseError: true,
    };
  }

  const findings: RawFinding[] = [];
  const facts: Record<string, unknown[]> = {};
  let linked = false;
  for (const { rule, options } of scanners) {
    if (!rule.scanFile || (rule.prefilter && !rule.prefilter.test(text))) continue;
    if (!linked) {
      linkParents(ts, sourceFile);
      linked = true;
    }
    const report = (finding: FileReport) => {
      const at = 'node' in finding ? position(finding.node) : 'pos' in finding ? position(finding.pos) : { line: finding.line, column: finding.column };
      findings.push({ rule: rule.id, file, ...at, message: finding.message, ...(finding.fix ? { fix: finding.fix } : {}) });
    };
    try {
      rule.scanFile({
        file,
        text,
        sourceFile,
        ts,
        truth,
        options,
        report,
        record: (fact) => (facts[rule.id] ??= []).push(fact),
        position,
      });
    } catch (error) {
      report({
        line: 1,
        column: 1,
        message: ruleFailedOnFile(rule.id, error),
      });
    }
  }
  return { imports: extractImports(ts, sourceFile, position), findings, facts, parseError: false };
}

/** A file parsed for rules to walk, parents linked; undefined when it does not parse (its scan reported that). */
export function parseForRules(ts: TypeScript, file: string, text: string): TS.SourceFile | undefined {
  const sourceFile = parseSource(ts, file, text);
  if (firstSyntaxError(sourceFile)) return undefined;
  linkParents(ts, sourceFile);
  return sourceFile;
}

/** A rule's on-demand fact of one parsed file (Rule.onDemand); undefined when the file has none. */
export function describeFile(ts: TypeScript, sourceFile: TS.SourceFile, scanner: Scanner, truth: Truth): unknown {
  const { fileName: file, text } = sourceFile;
  return scanner.rule.onDemand?.describe({ file, text, sourceFile, ts, truth, options: scanner.options, position: positionIn(sourceFile) });
}

function firstSyntaxError(sourceFile: TS.SourceFile): { start: number; message: string } | undefined {
  // parseDiagnostics is not in the public typings but is how the compiler itself reads syntax errors.
  const diagnostics = (sourceFile as unknown as { parseDiagnostics?: TS.DiagnosticWithLocation[] }).parseDiagnostics;
  const first = diagnostics?.[0];
  if (!first) return undefined;
  const message = typeof first.messageText === 'string' ? first.messageText : first.messageText.messageText;
  return { start: first.start, message };
}

/** Static imports and re-exports, `import x = require()`, and `import()`/`require()` with a literal. */
export function extractImports(
  ts: TypeScript,
  sourceFile: TS.SourceFile,
  position: (at: TS.Node) => { line: number; column: number },
): ImportRef[] {
  const imports: ImportRef[] = [];
  const add = (node: TS.Node, specifier: string, typeOnly: boolean, dynamic: boolean) =>
    imports.push({ specifier, ...position(node), typeOnly, dynamic });

  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      add(statement, statement.moduleSpecifier.text, isTypeOnlyImport(ts, statement), false);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.exportClause;
      const allTypes = !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
      add(statement, statement.moduleSpecifier.text, statement.isTypeOnly || allTypes, false);
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      ts.isExternalModuleReference(statement.moduleReference) &&
      ts.isStringLiteral(statement.moduleReference.expression)
    ) {
      add(statement, statement.moduleReference.expression.text, statement.isTypeOnly, false);
    }
  }

  if (/\b(?:import|require)\s*\(/.test(sourceFile.text)) {
    walk(ts, sourceFile, (node) => {
      if (ts.isCallExpression(node) && node.arguments.length >= 1) {
        const argument = node.arguments[0]!;
        const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
        const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
        if ((isImport || isRequire) && (ts.isStringLiteral(argument) || ts.isNoSubstitutionTemplateLiteral(argument))) {
          add(node, argument.text, false, true);
        }
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node, node.argument.literal.text, true, false);
      }
    });
  }
  imports.sort((a, b) => a.line - b.line || a.column - b.column);
  return imports;
}

function isTypeOnlyImport(ts: TypeScript, declaration: TS.ImportDeclaration): boolean {
  const clause = declaration.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}
