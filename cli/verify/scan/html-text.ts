/**
 * What goes into the text of an HTML-mode Telegram message, read from syntax trees without a
 * type checker: the literal parts (checked for tags Telegram refuses) and the values
 * interpolated into them (checked for the escape helper). Used by `telegram-html-safety`.
 *
 * Bots keep their messages in text builders (`texts.confirm(model, prompt)` in a `texts.ts`), so
 * a send's text is often a call into another file. Two halves, like `fastify-routes`:
 * - {@link createHtmlTextAnalyser} reads one file: the problems it can decide alone, and facts
 *   for the rest — the calls a text is made of, values whose type is imported, and every
 *   function of the file that builds text (exported, a member of an exported object, or called
 *   by a text of the file) with what its returned text holds.
 * - {@link HtmlTextIndex} joins every file's facts in `check()`: it resolves a call to its
 *   builder through imports and re-exports (the same {@link FastifyIndex} resolution
 *   `health-contract` follows builders with) and an imported type to its number fields.
 *
 * @example
 * ```ts
 * // texts.ts                                         // handlers/generate.ts
 * export const texts = {                              await ctx.reply(texts.confirm(model, prompt), { parse_mode: 'HTML' });
 *   confirm: (model: Model, prompt: string) =>        // facts: a text call to `texts.confirm` (import ../texts.js)
 *     `<b>${escapeHtml(model.title)}</b> ${prompt}`,
 * };  // facts: builder `texts.confirm`, `prompt` unescaped; `model.title` escaped
 * ```
 */
import type TS from 'typescript';
import type { ImportGraph } from '../graph.js';
import type { TypeScript } from '../rule.js';
import { calleeName, constInitializer, dottedName, propertyNameText, unwrapExpression, walk } from './ast.js';
import { FastifyIndex, scanFastify, unwrap, type FastifyFacts, type FastifyFileModel, type FunctionRef, type ReExportFact } from './fastify-routes.js';
import { ELEMENT_SUBSETS, readWrittenTypes } from './written-types.js';

/**
 * The tags of the Bot API's HTML style (https://core.telegram.org/bots/api#html-style). `span`
 * is listed apart: Telegram accepts it only as `<span class="tg-spoiler">`.
 */
export const TELEGRAM_HTML_TAGS: ReadonlySet<string> = new Set([
  'b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'tg-spoiler',
  'a', 'tg-emoji', 'tg-time', 'code', 'pre', 'blockquote', 'span',
]);

/** A tag found in HTML text: its name, whether it closes, its attributes, and its offset in the text. */
export interface HtmlTag {
  name: string;
  closing: boolean;
  attributes: string;
  index: number;
}

/** Marks where a value is interpolated into the text, so that tags split around it are not misread. */
export const HOLE = '\u0000';

/**
 * Every `<` of a text, the way Telegram's parser reads them: a `<` starts a tag, and one that is
 * not followed by a tag name (`2<3`) is a stray `<` (name `''`). Where a name runs into an
 * interpolation (`<h${level}>`, `<${tag}>`) nothing can be said and nothing is returned.
 */
export function findTags(text: string): HtmlTag[] {
  const tags: HtmlTag[] = [];
  const attributesPattern = /[^<>]*/y;
  for (const match of text.matchAll(/<(\/?)([A-Za-z][A-Za-z0-9-]*)?/g)) {
    const end = match.index + match[0].length;
    if (text[end] === HOLE) continue;
    attributesPattern.lastIndex = end;
    const attributes = match[2] === undefined ? '' : attributesPattern.exec(text)![0];
    tags.push({ name: (match[2] ?? '').toLowerCase(), closing: match[1] === '/', attributes, index: match.index });
  }
  return tags;
}

/** Why Telegram refuses a tag, or undefined when it accepts it. */
export function unsupportedTagReason(tag: HtmlTag): string | undefined {
  if (tag.name === '') return 'a "<" that does not start a tag must be written `&lt;` in HTML mode';
  if (!TELEGRAM_HTML_TAGS.has(tag.name)) return `\`<${tag.closing ? '/' : ''}${tag.name}>\` is not a tag Telegram's HTML parse mode supports`;
  if (tag.name === 'span' && !tag.closing && !tag.attributes.includes(HOLE) && !/\bclass\s*=\s*["']?tg-spoiler\b/.test(tag.attributes)) {
    return 'Telegram accepts `<span>` only as `<span class="tg-spoiler">`';
  }
  return undefined;
}

function tagFix(name: string): string {
  if (name === '') return 'Write the "<" as `&lt;` (or escape the whole text with your escape helper).';
  if (name === 'br') return 'Use a newline (`\\n`) instead of `<br>`.';
  if (name === 'p' || name === 'div') return `Drop \`<${name}>\` and separate blocks with blank lines (\`\\n\\n\`).`;
  if (/^h[1-6]$/.test(name)) return `Use \`<b>\` instead of \`<${name}>\` for a heading.`;
  if (name === 'ul' || name === 'ol' || name === 'li') return 'Write list items as lines starting with "• " instead of `<ul>`/`<ol>`/`<li>`.';
  if (name === 'span') return 'Use `<span class="tg-spoiler">` or `<tg-spoiler>`, or drop the span.';
  return `Use only b, strong, i, em, u, ins, s, strike, del, tg-spoiler, span class="tg-spoiler", a, tg-emoji, tg-time, code, pre, blockquote; write a literal "<" as \`&lt;\`.`;
}

/** Whether a call's dotted or plain name is one of `names` (`he.escape` matches only itself, `escape` matches `x.escape`). */
export function matchesName(names: readonly string[], dotted: string | undefined, plain: string | undefined): boolean {
  return names.some((name) => name === dotted || (!name.includes('.') && name === plain));
}

/** The finding for a value that goes into HTML text unescaped; `note` says what it holds or returns. */
export function unescapedProblem(shown: string, note: string | undefined, helper: string | undefined): { message: string; fix: string } {
  return {
    message: `\`${shown}\`${note ? ` (${note})` : ''} goes into HTML text unescaped: a "<" or "&" in it makes Telegram refuse the message, and user text can inject links and formatting.`,
    fix: helper
      ? `Escape it: \`${helper}(${shown})\`, or list your own helper in verify.rules.telegram-html-safety.options.escapeFunctions.`
      : 'Escape it with an HTML escape helper and list that helper in verify.rules.telegram-html-safety.options.escapeFunctions.',
  };
}

export function excerpt(code: string): string {
  const flat = code.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

/** Calls whose result is a number, a date or an ISO/locale string: nothing Telegram's parser trips on. */
const NUMERIC_FUNCTIONS = new Set(['Number', 'BigInt', 'parseInt', 'parseFloat', 'Number.parseInt', 'Number.parseFloat', 'Date.now']);
const NUMERIC_METHODS = new Set([
  'toFixed', 'toPrecision', 'toExponential', 'toISOString', 'toLocaleString', 'toLocaleDateString', 'toLocaleTimeString', 'getTime',
]);
/** How deep `texts.menu.title` object nesting and `a.b.c` callee paths are read. */
const MEMBER_DEPTH = 3;

// ---------------------------------------------------------------------------------------------
// Facts: JSON, so that they are cached with the file's scan.

/** A finding decided inside one file, kept until `check()` knows whether a send uses it. */
export interface ProblemFact {
  line: number;
  column: number;
  message: string;
  fix: string;
}

/** A value interpolated into HTML text, for the unescaped finding. */
interface ValueFact {
  line: number;
  column: number;
  /** The value as written. */
  shown: string;
  /** The `const` it is read through holds this. */
  holds?: string;
}

/**
 * A call whose result becomes HTML text: the whole text or a part joined as text (`text`), or a
 * value interpolated into it (`value`, unescaped unless the function returns escaped text).
 */
export interface CallFact extends ValueFact {
  ref: FunctionRef;
  as: 'text' | 'value';
  /** The callee for messages: `texts.confirm(…)`. */
  code: string;
}

/** A value that is harmless if the imported type declares it a number (`model.priceCredits`, `model: Model`). */
export interface TypedValueFact extends ValueFact {
  type: FunctionRef;
  /** The property path inside the type; '' for the type itself. */
  path: string;
}

export interface TextFacts {
  problems: ProblemFact[];
  calls: CallFact[];
  typed: TypedValueFact[];
}

/** A function that returns text: what its text holds, and how other files import it. */
export interface BuilderFact extends TextFacts {
  /** `line:column` of the function, as {@link FunctionRef} ids. */
  id: string;
  /** `welcome`, `texts.confirm` (a member of an exported object), `default`. */
  exportNames: string[];
  /** A returned value that is not text (`user.name`, a parameter): interpolating the result is unescaped. */
  raw?: string;
}

/** An exported interface or type alias, with the property paths that hold numbers or booleans. */
export interface TypeFact {
  id: string;
  exportNames: string[];
  numberPaths: string[];
}

export interface HtmlTextFacts {
  /** What the file's HTML sends need from other files (their own problems are reported at once). */
  sends: Omit<TextFacts, 'problems'>;
  builders: BuilderFact[];
  types: TypeFact[];
  /** `export { a } from`, and members of exported objects that are imported functions. */
  reExports: ReExportFact[];
}

/**
 * The import specifiers a file's sends use from other files: their own calls and typed values,
 * and those of the builders of this file they call, however deep.
 */
export function sendSpecifiers(fact: HtmlTextFacts): string[] {
  const builders = new Map(fact.builders.map((builder) => [builder.id, builder]));
  const specifiers = new Set<string>();
  const visited = new Set<string>();
  const visit = ({ calls, typed }: Omit<TextFacts, 'problems'>): void => {
    for (const { type } of typed) if (type.kind === 'import') specifiers.add(type.specifier);
    for (const { ref } of calls) {
      if (ref.kind === 'import') specifiers.add(ref.specifier);
      else if (!visited.has(ref.id)) {
        visited.add(ref.id);
        const builder = builders.get(ref.id);
        if (builder) visit(builder);
      }
    }
  };
  visit(fact.sends);
  return [...specifiers];
}

// ---------------------------------------------------------------------------------------------
// One file.

export interface HtmlTextAnalyser {
  /**
   * The problems in the text of one HTML send that this file decides: tags, and values that are
   * unescaped whatever other files say. What needs other files is kept for {@link facts}.
   */
  sendText(expression: TS.Expression): { pos: number; message: string; fix: string }[];
  /** The file's facts once every send was read; undefined when it has none. */
  facts(): HtmlTextFacts | undefined;
}

type Outcome =
  | { kind: 'problem'; pos: number; message: string; fix: string }
  | { kind: 'call'; pos: number; shown: string; holds?: string; ref: FunctionRef; as: 'text' | 'value'; code: string }
  | { kind: 'typed'; pos: number; shown: string; holds?: string; type: FunctionRef; path: string };

type Piece = { literal: string; start: number } | { hole: TS.Expression };

export function createHtmlTextAnalyser(
  ts: TypeScript,
  sourceFile: TS.SourceFile,
  position: (at: TS.Node | number) => { line: number; column: number },
  options: { escapeFunctions: readonly string[]; escapeTags: readonly string[] },
): HtmlTextAnalyser {
  const source = sourceFile.text;
  const helper = options.escapeFunctions[0];
  let fileModel: FastifyFileModel | undefined;
  // Callees are resolved with the names model of Fastify's route scan, built only for a callee that may name a function.
  const model = () => (fileModel ??= scanFastify(ts, sourceFile, (node) => position(node)));
  const sendOutcomes: Outcome[] = [];

  const isEscapeCall = (call: TS.CallExpression) => matchesName(options.escapeFunctions, dottedName(ts, call.expression), calleeName(ts, call));
  const isEscapeTag = (tagged: TS.TaggedTemplateExpression) => {
    const tag = tagged.tag;
    const plain = ts.isIdentifier(tag) ? tag.text : ts.isPropertyAccessExpression(tag) ? tag.name.text : undefined;
    return matchesName(options.escapeTags, dottedName(ts, tag), plain);
  };

  /** The literal text between a template part's delimiters, as written in the source. */
  const literalPiece = (node: TS.Node, closeLength: number): Piece => {
    const start = node.getStart(sourceFile) + 1;
    return { literal: source.slice(start, node.end - closeLength), start };
  };

  const templatePieces = (template: TS.TemplateLiteral): Piece[] => {
    if (ts.isNoSubstitutionTemplateLiteral(template)) return [literalPiece(template, 1)];
    const pieces: Piece[] = [literalPiece(template.head, 2)];
    for (const span of template.templateSpans) {
      pieces.push({ hole: span.expression }, literalPiece(span.literal, ts.isTemplateTail(span.literal) ? 1 : 2));
    }
    return pieces;
  };

  const returnsOf = (fn: TS.SignatureDeclaration): TS.Expression[] => {
    const body = (fn as TS.FunctionLikeDeclaration).body;
    if (!body) return [];
    if (!ts.isBlock(body)) return [body];
    const returned: TS.Expression[] = [];
    walk(ts, body, (node) => {
      if (ts.isFunctionLike(node)) return false;
      if (ts.isReturnStatement(node) && node.expression) returned.push(node.expression);
      return undefined;
    });
    return returned;
  };

  /** The parts of an array that is joined into text: its elements, a spread array's, a `.map()` callback's results. */
  const arrayElements = (expression: TS.Expression, depth: number): Piece[][] | undefined => {
    const node = unwrapExpression(ts, expression);
    if (ts.isArrayLiteralExpression(node)) {
      return node.elements.flatMap((element): Piece[][] => {
        if (ts.isOmittedExpression(element)) return [];
        if (ts.isSpreadElement(element)) return arrayElements(element.expression, depth) ?? [[{ hole: element.expression }]];
        return [flatten(element)];
      });
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const callback = node.arguments[0] && unwrapExpression(ts, node.arguments[0]);
      if (method === 'map' && callback && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) {
        return returnsOf(callback).map((returned) => [{ hole: returned }]);
      }
      if (ELEMENT_SUBSETS.has(method)) return arrayElements(node.expression.expression, depth);
    }
    if (ts.isIdentifier(node) && depth < 2) {
      const initializer = constInitializer(ts, node);
      return initializer && arrayElements(initializer, depth + 1);
    }
    return undefined;
  };

  /** `[a, b].join('\n')`, `items.map((item) => …).join('\n')`: the parts with the separator between them. */
  const joinPieces = (call: TS.CallExpression): Piece[] | undefined => {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'join' || call.arguments.length > 1) return undefined;
    const elements = arrayElements(callee.expression, 0);
    if (!elements) return undefined;
    const separator: Piece[] = call.arguments[0] ? flatten(call.arguments[0]) : [{ literal: ',', start: callee.name.getStart(sourceFile) }];
    return elements.flatMap((element, index) => (index === 0 ? element : [...separator, ...element]));
  };

  /** The literal parts and interpolated values of a string, template, `+` chain or joined array, in order. */
  const flatten = (expression: TS.Expression): Piece[] => {
    const node = unwrapExpression(ts, expression);
    if (ts.isStringLiteral(node)) return [literalPiece(node, 1)];
    if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return templatePieces(node);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return [...flatten(node.left), ...flatten(node.right)];
    if (ts.isCallExpression(node)) {
      const joined = joinPieces(node);
      if (joined) return joined;
    }
    return [{ hole: node }];
  };

  const isTextBearing = (expression: TS.Expression): boolean => {
    const node = unwrapExpression(ts, expression);
    return (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node) ||
      (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) ||
      (ts.isCallExpression(node) && joinPieces(node) !== undefined)
    );
  };

  /** Tags in the literal parts (seen across interpolations) and what the interpolated values hold. */
  const fragmentOutcomes = (pieces: readonly Piece[], holesAreEscaped: boolean, followConst: boolean): Outcome[] => {
    let text = '';
    const offsets: number[] = [];
    const outcomes: Outcome[] = [];
    for (const piece of pieces) {
      if ('literal' in piece) {
        text += piece.literal;
        for (let index = 0; index < piece.literal.length; index++) offsets.push(piece.start + index);
      } else {
        text += HOLE;
        offsets.push(piece.hole.getStart(sourceFile));
        if (!holesAreEscaped) outcomes.push(...valueOutcomes(piece.hole, followConst));
      }
    }
    // A closing tag whose opening tag is already reported adds nothing to fix.
    const reportedOpenings = new Set<string>();
    for (const tag of findTags(text)) {
      const reason = unsupportedTagReason(tag);
      if (tag.closing && reportedOpenings.has(tag.name)) continue;
      if (reason) {
        if (!tag.closing) reportedOpenings.add(tag.name);
        outcomes.push({
          kind: 'problem',
          pos: offsets[tag.index]!,
          message: `${reason}: the Bot API refuses the whole message (400 "can't parse entities") and the user gets nothing.`,
          fix: tagFix(tag.name),
        });
      }
    }
    return outcomes;
  };

  const unescaped = (node: TS.Node, holds?: TS.Node): Outcome => {
    const shown = excerpt(node.getText(sourceFile));
    return { kind: 'problem', pos: node.getStart(sourceFile), ...unescapedProblem(shown, holds && `it holds \`${excerpt(holds.getText(sourceFile))}\``, helper) };
  };

  const callOutcome = (call: TS.CallExpression, ref: FunctionRef, as: 'text' | 'value'): Outcome => ({
    kind: 'call',
    pos: call.getStart(sourceFile),
    shown: excerpt(call.getText(sourceFile)),
    ref,
    as,
    code: `${excerpt(call.expression.getText(sourceFile))}(…)`,
  });

  /**
   * What is wrong with a value interpolated into HTML text. Safe: escape-helper calls, numbers
   * (literals, arithmetic, `.length`, `Number()`, `.toFixed()`, a parameter typed `number`…),
   * booleans, and literal text whose tags are supported; a `const` is followed one level. A call
   * to a function of the repository and a value typed by an imported type wait for `check()`.
   */
  const valueOutcomes = (expression: TS.Expression, followConst: boolean): Outcome[] => {
    const node = unwrapExpression(ts, expression);
    if (ts.isAwaitExpression(node)) return valueOutcomes(node.expression, followConst);
    if (isTextBearing(node)) return fragmentOutcomes(flatten(node), false, followConst);
    if (ts.isConditionalExpression(node)) return [...valueOutcomes(node.whenTrue, followConst), ...valueOutcomes(node.whenFalse, followConst)];
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      // `a && b` renders b, or a falsy a ("false", "0", ""): only b can carry markup.
      if (operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.CommaToken) return valueOutcomes(node.right, followConst);
      if (operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken) {
        return [...valueOutcomes(node.left, followConst), ...valueOutcomes(node.right, followConst)];
      }
      // Every other binary operator yields a number or a boolean.
      return [];
    }
    if (
      ts.isNumericLiteral(node) ||
      ts.isBigIntLiteral(node) ||
      ts.isPrefixUnaryExpression(node) ||
      ts.isPostfixUnaryExpression(node) ||
      ts.isTypeOfExpression(node) ||
      ts.isVoidExpression(node) ||
      ts.isDeleteExpression(node) ||
      node.kind === ts.SyntaxKind.TrueKeyword ||
      node.kind === ts.SyntaxKind.FalseKeyword ||
      node.kind === ts.SyntaxKind.NullKeyword
    ) {
      return [];
    }
    if (ts.isTaggedTemplateExpression(node)) {
      return isEscapeTag(node) ? fragmentOutcomes(templatePieces(node.template), true, followConst) : [unescaped(node)];
    }
    if (ts.isCallExpression(node)) {
      if (isEscapeCall(node)) return [];
      const dotted = dottedName(ts, node.expression);
      const method = calleeName(ts, node);
      if (dotted !== undefined && (NUMERIC_FUNCTIONS.has(dotted) || dotted.startsWith('Math.'))) return [];
      if (ts.isPropertyAccessExpression(node.expression) && method !== undefined && NUMERIC_METHODS.has(method)) return [];
      if (dotted === 'String' && node.arguments.length === 1) return valueOutcomes(node.arguments[0]!, followConst);
      if (ts.isPropertyAccessExpression(node.expression) && method === 'toString') return valueOutcomes(node.expression.expression, followConst);
      const ref = refOf(node.expression);
      return [ref ? callOutcome(node, ref, 'value') : unescaped(node)];
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'length') return [];
    if (ts.isIdentifier(node) && (node.text === 'undefined' || node.text === 'NaN' || node.text === 'Infinity')) return [];
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) {
      // A written type comes first: `const total: number = row.total` is a number whatever holds it.
      const verdict = writtenTypes.verdict(node);
      if (verdict === 'plain') return [];
      const initializer = followConst && ts.isIdentifier(node) ? constInitializer(ts, node) : undefined;
      if (initializer) {
        // A const built from text is checked where it is written; a const value is judged here.
        if (isTextBearing(initializer)) return valueOutcomes(initializer, false);
        const held = valueOutcomes(initializer, false);
        if (held.length === 0) return [];
        if (held.some((outcome) => outcome.kind === 'problem')) return [unescaped(node, initializer)];
        const at = { pos: node.getStart(sourceFile), shown: excerpt(node.getText(sourceFile)), holds: excerpt(initializer.getText(sourceFile)) };
        return held.map((outcome) => ({ ...outcome, ...at }));
      }
      if (verdict) return [{ kind: 'typed', pos: node.getStart(sourceFile), shown: excerpt(node.getText(sourceFile)), ...verdict }];
    }
    return [unescaped(node)];
  };

  /**
   * What the text of a send (or a builder's returned text) holds: literal text is checked; a call
   * to a function of the repository is followed in `check()`; other unknown text (a parameter, a
   * `let`) is not analysed.
   */
  const textOutcomes = (expression: TS.Expression, followConst: boolean): Outcome[] => {
    const node = unwrapExpression(ts, expression, true);
    if (ts.isIdentifier(node)) {
      const initializer = followConst ? constInitializer(ts, node) : undefined;
      return initializer ? textOutcomes(initializer, false) : [];
    }
    if (ts.isConditionalExpression(node)) return [...textOutcomes(node.whenTrue, followConst), ...textOutcomes(node.whenFalse, followConst)];
    if (ts.isBinaryExpression(node) && (node.operatorToken.kind === ts.SyntaxKind.BarBarToken || node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) {
      return [...textOutcomes(node.left, followConst), ...textOutcomes(node.right, followConst)];
    }
    if (ts.isTaggedTemplateExpression(node)) return isEscapeTag(node) ? fragmentOutcomes(templatePieces(node.template), true, true) : [];
    if (!isTextBearing(node)) {
      if (!ts.isCallExpression(node) || isEscapeCall(node)) return [];
      const ref = refOf(node.expression);
      return ref ? [callOutcome(node, ref, 'text')] : [];
    }
    const pieces = flatten(node);
    if (pieces.some((piece) => 'literal' in piece)) return fragmentOutcomes(pieces, false, true);
    // `header + body` only joins texts made elsewhere: each is a text of its own.
    return pieces.flatMap((piece) => ('hole' in piece ? textOutcomes(piece.hole, followConst) : []));
  };

  /**
   * The first part of a returned text that is a plain value rather than text (`user.name`, a
   * parameter, an unknown call): a caller that interpolates the function's result interpolates
   * that value. Undefined when the result is text, escaped, a number, or another function's text.
   */
  const rawPart = (expression: TS.Expression, depth: number): TS.Expression | undefined => {
    const node = unwrapExpression(ts, expression, true);
    if (depth > MEMBER_DEPTH) return undefined;
    if (isTextBearing(node)) {
      const pieces = flatten(node);
      if (pieces.some((piece) => 'literal' in piece)) return undefined;
      for (const piece of pieces) {
        const raw = 'hole' in piece ? rawPart(piece.hole, depth + 1) : undefined;
        if (raw) return raw;
      }
      return undefined;
    }
    if (ts.isConditionalExpression(node)) return rawPart(node.whenTrue, depth + 1) ?? rawPart(node.whenFalse, depth + 1);
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      if (operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken) return rawPart(node.left, depth + 1) ?? rawPart(node.right, depth + 1);
      if (operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.CommaToken) return rawPart(node.right, depth + 1);
    }
    if (ts.isCallExpression(node) && !isEscapeCall(node) && refOf(node.expression)) return undefined;
    if (ts.isIdentifier(node)) {
      const initializer = constInitializer(ts, node);
      if (initializer) return rawPart(initializer, depth + 1);
    }
    return valueOutcomes(node, false).some((outcome) => outcome.kind === 'problem') ? node : undefined;
  };

  /** Whether a returned expression is text, escaped text or a number: what a text builder returns. */
  const looksLikeText = (expression: TS.Expression): boolean => {
    const node = unwrapExpression(ts, expression, true);
    if (isTextBearing(node)) return true;
    if (ts.isConditionalExpression(node)) return looksLikeText(node.whenTrue) || looksLikeText(node.whenFalse);
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      const logical = operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.AmpersandAmpersandToken;
      return logical && (looksLikeText(node.left) || looksLikeText(node.right));
    }
    if (ts.isTaggedTemplateExpression(node)) return isEscapeTag(node);
    if (!ts.isCallExpression(node)) return false;
    const dotted = dottedName(ts, node.expression);
    const method = ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : undefined;
    if (isEscapeCall(node) || dotted === 'String' || (dotted !== undefined && NUMERIC_FUNCTIONS.has(dotted)) || (method !== undefined && NUMERIC_METHODS.has(method))) return true;
    return refOf(node.expression) !== undefined;
  };

  // -- Names: which function a call reaches ---------------------------------------------------

  const memberValue = (object: TS.Node, path: readonly string[]): TS.Node | undefined => {
    let current: TS.Node | undefined = object;
    for (const key of path) {
      const inner: TS.Node = unwrap(ts, current!);
      if (!ts.isObjectLiteralExpression(inner)) return undefined;
      const property = inner.properties.find((candidate) => candidate.name !== undefined && propertyNameText(ts, candidate.name) === key);
      current = !property
        ? undefined
        : ts.isPropertyAssignment(property)
          ? property.initializer
          : ts.isShorthandPropertyAssignment(property)
            ? property.name
            : ts.isMethodDeclaration(property)
              ? property
              : undefined;
      if (!current) return undefined;
    }
    return current;
  };

  const declaredNames = new Map<string, boolean>();
  /**
   * Whether a name may be bound to a function (`as: 'function'`) or a `const` object literal
   * (`as: 'object'`) of this file, or imported: the only ways a call reaches a text builder. A
   * cheap look at the text first, because most callees in texts (`JSON.stringify`, `name.trim`)
   * are neither and the file's name model is then never built.
   */
  const mayName = (name: string, as: 'function' | 'object'): boolean => {
    const key = `${as}:${name}`;
    let known = declaredNames.get(key);
    if (known === undefined) {
      const escaped = name.replace(/\$/g, '\\$');
      const initializer = as === 'object' ? '\\{' : '(?:async\\b|function\\b|\\(|<|[\\w$]+\\s*=>)';
      const declared = new RegExp(`\\bconst\\s+${escaped}(?![\\w$])\\s*(?::[^=]*(?:=>[^=]*)*)?=\\s*${initializer}`);
      const declaredFunction = as === 'function' ? new RegExp(`\\bfunction\\s*\\*?\\s*${escaped}(?![\\w$])`) : undefined;
      known = importsOf().has(name) || declared.test(source) || (declaredFunction?.test(source) ?? false);
      declaredNames.set(key, known);
    }
    return known;
  };

  /**
   * The function a callee names: `welcome` (declared, a `const` arrow, or imported), or a member
   * of an object, `texts.confirm`: of a `const` object literal here, or of an imported object
   * (the import's name with the member path, resolved in `check()`).
   */
  const refOf = (callee: TS.Expression): FunctionRef | undefined => {
    const node = unwrapExpression(ts, callee);
    if (ts.isIdentifier(node)) {
      if (!mayName(node.text, 'function')) return undefined;
      const callable = model().callableOf(node);
      return callable && !callable.viaFactory ? callable.ref : undefined;
    }
    if (!ts.isPropertyAccessExpression(node)) return undefined;
    const path: string[] = [];
    let base: TS.Expression = node;
    while (ts.isPropertyAccessExpression(base)) {
      path.unshift(base.name.text);
      base = unwrapExpression(ts, base.expression);
    }
    if (!ts.isIdentifier(base) || path.length > MEMBER_DEPTH || !mayName(base.text, 'object')) return undefined;
    const binding = model().bindingOf(base);
    if (binding?.kind === 'import') return { kind: 'import', specifier: binding.specifier, name: [binding.name, ...path].join('.') };
    if (binding?.kind !== 'node' || !ts.isVariableDeclaration(binding.node) || !binding.node.initializer) return undefined;
    if ((binding.node.parent.flags & ts.NodeFlags.Const) === 0) return undefined;
    const member = memberValue(binding.node.initializer, path);
    const callable = member && model().callableOf(member);
    return callable && !callable.viaFactory ? callable.ref : undefined;
  };

  // -- Imports ----------------------------------------------------------------------------------

  let imports: Map<string, { specifier: string; name: string }> | undefined;
  /** Imported names (`default` for a default import): type names and re-exported names are looked up here. */
  const importsOf = () => {
    if (imports) return imports;
    imports = new Map();
    for (const statement of sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || !statement.importClause) continue;
      const specifier = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (clause.name) imports.set(clause.name.text, { specifier, name: 'default' });
      if (clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
        for (const element of clause.namedBindings.elements) imports.set(element.name.text, { specifier, name: (element.propertyName ?? element.name).text });
      }
    }
    return imports;
  };

  const writtenTypes = readWrittenTypes(ts, sourceFile, importsOf);

  // -- The file's facts ---------------------------------------------------------------------------

  /** The names each top-level declaration is exported by (`export const`, `export { a as b }`, `export default a`). */
  const exportNamesByLocal = (): Map<string, string[]> => {
    const names = new Map<string, string[]>();
    const add = (local: string, exported: string) => {
      const list = names.get(local) ?? [];
      if (!list.includes(exported)) list.push(exported);
      names.set(local, list);
    };
    for (const statement of sourceFile.statements) {
      const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
      if (modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) {
        const isDefault = modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.DefaultKeyword);
        if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) add(declaration.name.text, declaration.name.text);
        } else if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isFunctionDeclaration(statement)) && statement.name) {
          add(statement.name.text, isDefault ? 'default' : statement.name.text);
        }
      } else if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) add((element.propertyName ?? element.name).text, element.name.text);
      } else if (ts.isExportAssignment(statement) && !statement.isExportEquals && ts.isIdentifier(statement.expression)) {
        add(statement.expression.text, 'default');
      }
    }
    return names;
  };

  const hasExports = (): boolean =>
    sourceFile.statements.some(
      (statement) =>
        ts.isExportDeclaration(statement) ||
        ts.isExportAssignment(statement) ||
        ((ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) ?? false),
    );

  const toFacts = (outcomes: readonly Outcome[]): TextFacts => {
    const facts: TextFacts = { problems: [], calls: [], typed: [] };
    const seen = new Set<string>();
    for (const outcome of outcomes) {
      const key = JSON.stringify(outcome);
      if (seen.has(key)) continue;
      seen.add(key);
      const { kind, pos, ...rest } = outcome;
      const at = position(pos);
      if (kind === 'problem') facts.problems.push({ ...at, message: outcome.message, fix: outcome.fix });
      else if (kind === 'call') facts.calls.push({ ...at, ...(rest as Omit<CallFact, 'line' | 'column'>) });
      else facts.typed.push({ ...at, ...(rest as Omit<TypedValueFact, 'line' | 'column'>) });
    }
    return facts;
  };

  return {
    sendText(expression) {
      const outcomes = textOutcomes(expression, true);
      sendOutcomes.push(...outcomes.filter((outcome) => outcome.kind !== 'problem'));
      return outcomes.flatMap((outcome) => (outcome.kind === 'problem' ? [outcome] : []));
    },

    facts() {
      const exported = hasExports();
      if (!exported && sendOutcomes.length === 0) return undefined;
      const exportNames = exported ? exportNamesByLocal() : new Map<string, string[]>();
      const reExports: ReExportFact[] = [];
      /** Functions to describe, by id: exported ones (by the names other files import them by) and those called here. */
      const candidates = new Map<string, { fn: TS.SignatureDeclaration; exportNames: string[]; calledHere: boolean }>();
      const addCandidate = (fn: TS.SignatureDeclaration, names: readonly string[], calledHere: boolean) => {
        const { line, column } = position(fn);
        const id = `${line}:${column}`;
        const entry = candidates.get(id) ?? { fn, exportNames: [], calledHere: false };
        for (const name of names) if (!entry.exportNames.includes(name)) entry.exportNames.push(name);
        entry.calledHere ||= calledHere;
        candidates.set(id, entry);
        return id;
      };
      const definedFunction = (expression: TS.Node): TS.SignatureDeclaration | undefined => {
        const inner = unwrap(ts, expression);
        return ts.isArrowFunction(inner) || ts.isFunctionExpression(inner) || ts.isMethodDeclaration(inner) ? inner : undefined;
      };

      // Members of exported objects are imported as `texts.confirm`: they are exported under that name.
      const addMembers = (object: TS.ObjectLiteralExpression, prefixes: readonly string[], depth: number): void => {
        for (const property of object.properties) {
          const key = property.name && propertyNameText(ts, property.name);
          if (key === undefined) continue;
          const names = prefixes.map((prefix) => `${prefix}.${key}`);
          const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : ts.isMethodDeclaration(property) ? property : undefined;
          if (!value) continue;
          const inner = unwrap(ts, value);
          const fn = definedFunction(inner);
          if (fn) addCandidate(fn, names, false);
          else if (ts.isObjectLiteralExpression(inner)) {
            if (depth < MEMBER_DEPTH) addMembers(inner, names, depth + 1);
          } else if (ts.isIdentifier(inner)) {
            const callable = model().callableOf(inner);
            if (!callable || callable.viaFactory) continue;
            if (callable.ref.kind === 'import') {
              for (const name of names) reExports.push({ exportName: name, specifier: callable.ref.specifier, importedName: callable.ref.name });
            } else {
              const node = model().functionNode(callable.ref.id);
              if (node) addCandidate(node, names, false);
            }
          }
        }
      };
      for (const statement of exported ? sourceFile.statements : []) {
        if (ts.isFunctionDeclaration(statement)) {
          const names = statement.name ? exportNames.get(statement.name.text) : isDefaultExport(ts, statement) ? ['default'] : undefined;
          if (names) addCandidate(statement, names, false);
        } else if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations) {
            const names = ts.isIdentifier(declaration.name) ? exportNames.get(declaration.name.text) : undefined;
            if (!names || !declaration.initializer) continue;
            const fn = definedFunction(declaration.initializer);
            const object = unwrap(ts, declaration.initializer);
            if (fn) addCandidate(fn, names, false);
            else if (ts.isObjectLiteralExpression(object) && (statement.declarationList.flags & ts.NodeFlags.Const) !== 0) addMembers(object, names, 1);
          }
        } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
          const fn = definedFunction(statement.expression);
          const object = unwrap(ts, statement.expression);
          if (fn) addCandidate(fn, ['default'], false);
          else if (ts.isObjectLiteralExpression(object)) addMembers(object, ['default'], 1);
        } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
          for (const element of statement.exportClause.elements) {
            const local = (element.propertyName ?? element.name).text;
            const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? { specifier: statement.moduleSpecifier.text, name: local } : importsOf().get(local);
            if (from) reExports.push({ exportName: element.name.text, specifier: from.specifier, importedName: from.name });
          }
        }
      }
      const addCalled = (outcomes: readonly Outcome[]) => {
        for (const outcome of outcomes) {
          if (outcome.kind !== 'call' || outcome.ref.kind !== 'function') continue;
          const node = model().functionNode(outcome.ref.id);
          if (node) addCandidate(node, [], true);
        }
      };
      addCalled(sendOutcomes);

      const builders: BuilderFact[] = [];
      // Whether each function was described as called here: one skipped as a mere export is
      // described again once a text of the file calls it.
      const describedAsCalled = new Map<string, boolean>();
      for (let changed = true; changed; ) {
        changed = false;
        for (const [id, { fn, exportNames: names, calledHere }] of [...candidates]) {
          if (describedAsCalled.has(id) && (describedAsCalled.get(id) || !calledHere)) continue;
          describedAsCalled.set(id, calledHere);
          changed = true;
          if (builders.some((builder) => builder.id === id)) continue;
          const returned = returnsOf(fn);
          // An exported function is a text builder when it returns text, escaped text or a number somewhere.
          if (!calledHere && !returned.some(looksLikeText)) continue;
          const outcomes = returned.flatMap((expression) => textOutcomes(expression, true));
          addCalled(outcomes);
          const raws = returned.map((expression) => rawPart(expression, 0));
          const raw = raws.find((candidate) => candidate !== undefined);
          if (returned.length === 0 || (!calledHere && raws.every((candidate) => candidate !== undefined))) continue;
          builders.push({ id, exportNames: names, ...toFacts(outcomes), ...(raw ? { raw: excerpt(raw.getText(sourceFile)) } : {}) });
        }
      }

      const types: TypeFact[] = [];
      for (const [name, declaration] of exported ? writtenTypes.declarations() : []) {
        const names = exportNames.get(name);
        const paths = names ? writtenTypes.numberPaths(declaration) : [];
        if (names && paths.length > 0) {
          const { line, column } = position(declaration);
          types.push({ id: `${line}:${column}`, exportNames: names, numberPaths: paths });
        }
      }

      const { problems: _reportedAtOnce, ...sends } = toFacts(sendOutcomes);
      if (sends.calls.length === 0 && sends.typed.length === 0 && builders.length === 0 && types.length === 0 && reExports.length === 0) return undefined;
      return { sends, builders, types, reExports };
    },
  };
}

function isDefaultExport(ts: TypeScript, statement: TS.Statement): boolean {
  const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
  return (modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) ?? false) && (modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.DefaultKeyword) ?? false);
}

// ---------------------------------------------------------------------------------------------
// Repository side: resolving calls to builders and imported types across files.

/** A builder found across files. */
export interface ResolvedBuilder {
  file: string;
  builder: BuilderFact;
}

/** Every file's text facts, indexed for lookups through the import graph. */
export class HtmlTextIndex {
  private readonly functions: FastifyIndex;
  private readonly types: FastifyIndex;
  private readonly builders = new Map<string, BuilderFact>();
  private readonly numberPaths = new Map<string, ReadonlySet<string>>();

  constructor(facts: readonly { file: string; fact: HtmlTextFacts }[], graph: ImportGraph) {
    const reExports = withMemberReExports(facts);
    const table = (file: string, entries: readonly { id: string; exportNames: string[] }[]): FastifyFacts => ({
      functions: entries.map(({ id, exportNames }) => ({ id, name: id, exportNames, skipsPrefix: false, returnsFunctions: [] })),
      reExports: reExports.get(file) ?? [],
      scopes: [],
      routes: [],
      mounts: [],
    });
    // Builders and types are separate tables, each resolved by export name as FastifyIndex resolves functions.
    this.functions = new FastifyIndex(facts.map(({ file, fact }) => ({ file, fact: table(file, fact.builders) })), graph);
    this.types = new FastifyIndex(facts.map(({ file, fact }) => ({ file, fact: table(file, fact.types) })), graph);
    for (const { file, fact } of facts) {
      for (const builder of fact.builders) this.builders.set(`${file}#${builder.id}`, builder);
      for (const type of fact.types) this.numberPaths.set(`${file}#${type.id}`, new Set(type.numberPaths));
    }
  }

  /** The text builder a call in `file` reaches, if the repository has it. */
  builder(file: string, ref: FunctionRef): ResolvedBuilder | undefined {
    const resolved = this.functions.resolveFunction(file, ref);
    const builder = resolved && this.builders.get(`${resolved.file}#${resolved.fn.id}`);
    return builder && { file: resolved.file, builder };
  }

  /** Whether the imported type of a value in `file` declares it a number or a boolean. */
  isPlain(file: string, value: TypedValueFact): boolean {
    const resolved = this.types.resolveFunction(file, value.type);
    return resolved?.fn !== undefined && (this.numberPaths.get(`${resolved.file}#${resolved.fn.id}`)?.has(value.path) ?? false);
  }
}

/**
 * `export { texts } from './texts.js'` re-exports an object, and with it every builder under it,
 * which other files call as `texts.confirm` and the index looks up by that dotted name: the
 * dotted re-exports are added here, through chains of re-exports, for the member names known.
 */
function withMemberReExports(facts: readonly { file: string; fact: HtmlTextFacts }[]): Map<string, ReExportFact[]> {
  const members = new Map<string, Set<string>>();
  const addMember = (dotted: string): boolean => {
    const dot = dotted.indexOf('.');
    if (dot <= 0) return false;
    const head = dotted.slice(0, dot);
    const known = members.get(head) ?? new Set<string>();
    members.set(head, known);
    if (known.has(dotted.slice(dot + 1))) return false;
    known.add(dotted.slice(dot + 1));
    return true;
  };
  for (const { fact } of facts) {
    for (const builder of fact.builders) builder.exportNames.forEach(addMember);
    for (const reExport of fact.reExports) addMember(reExport.exportName);
  }
  const result = new Map<string, ReExportFact[]>();
  for (const { file, fact } of facts) if (fact.reExports.length > 0) result.set(file, [...fact.reExports]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const { file, fact } of facts) {
      for (const reExport of fact.reExports) {
        if (reExport.exportName.includes('.')) continue;
        for (const suffix of [...(members.get(reExport.importedName) ?? [])]) {
          const exportName = `${reExport.exportName}.${suffix}`;
          const list = result.get(file)!;
          if (list.some((candidate) => candidate.exportName === exportName)) continue;
          list.push({ exportName, specifier: reExport.specifier, importedName: `${reExport.importedName}.${suffix}` });
          addMember(exportName);
          changed = true;
        }
      }
    }
  }
  return result;
}
