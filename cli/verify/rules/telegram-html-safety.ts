/**
 * Text sent with `parse_mode: 'HTML'` is parsed by Telegram, strictly: a tag it does not know
 * (`<br>`, `<p>`, `<div>`…) or a stray `<` or `&` makes the Bot API refuse the whole message
 * with 400 "can't parse entities", so the user gets nothing. User-supplied values (names,
 * prompts, captions) are the usual source of those characters, and unescaped they also let a
 * user inject links and formatting into the bot's messages. This rule finds, in the text of
 * every HTML-mode send:
 *
 * - tags outside Telegram's list, at the tag's position inside the string or template;
 * - interpolated or concatenated values that do not go through the project's escape helper.
 *
 * Where it looks: every object literal with `parse_mode: 'HTML'` (any case, or a `ParseMode.HTML`
 * style constant, or a `const` holding one). The text is its `text`, `caption` or `message_text`
 * property (raw Bot API payloads, `replyWithPhoto(photo, { caption, parse_mode })`, inline query
 * results), else the argument just before the options object in the call it is passed to (`ctx.reply(text, opts)`,
 * `api.sendMessage(chat, text, opts)`, `api.editMessageText(chat, message, text, opts)`), also
 * when the options object is a `const` passed or spread by name. Telegraf's
 * `ctx.replyWithHTML(text)` is covered too. The text may be a literal, a template, a `+`
 * concatenation, a conditional, or a `const` initialised with one of those; a text produced by
 * any other call is not analysed (it cannot be known without running the code).
 *
 * @example
 * ```ts
 * await ctx.reply(`Hello, <b>${ctx.from.first_name}</b><br>`, { parse_mode: 'HTML' });
 * //                         ^ unescaped value              ^ unsupported tag
 * await ctx.reply(`Hello, <b>${escapeHtml(ctx.from.first_name)}</b>\n`, { parse_mode: 'HTML' });
 * ```
 */
import type TS from 'typescript';
import { defineRule, type TypeScript } from '../rule.js';
import { calleeName, constInitializer, dottedName, propertyValue, staticString, unwrapExpression, walk } from '../scan/ast.js';

interface Options {
  /** Functions whose result is safe inside HTML text: by name (`escapeHtml`) or dotted name (`he.escape`). */
  escapeFunctions: string[];
  /** Template tags that escape their interpolations, e.g. `html` for html`<b>${name}</b>`. */
  escapeTags: string[];
}

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

/** Calls whose result is a number, a date or an ISO/locale string: nothing Telegram's parser trips on. */
const NUMERIC_FUNCTIONS = new Set(['Number', 'BigInt', 'parseInt', 'parseFloat', 'Number.parseInt', 'Number.parseFloat', 'Date.now']);
const NUMERIC_METHODS = new Set([
  'toFixed', 'toPrecision', 'toExponential', 'toISOString', 'toLocaleString', 'toLocaleDateString', 'toLocaleTimeString', 'getTime',
]);
/** Where a Bot API payload keeps its text: messages, media captions, inline results' `input_message_content`. */
const TEXT_PROPERTIES = ['text', 'caption', 'message_text'];
/** Send methods whose text is only ever the `caption` option: their argument before the options is the media. */
const MEDIA_METHOD = /photo|video|document|animation|audio|voice|sticker|media|caption|invoice|poll|location|venue|contact|dice/i;

interface Problem {
  pos: number;
  message: string;
  fix: string;
}

type Piece = { literal: string; start: number } | { hole: TS.Expression };

export default defineRule<Options>({
  id: 'telegram-html-safety',
  description: 'Text sent with parse_mode HTML may use only the tags Telegram supports and must escape every interpolated value.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      escapeFunctions: { type: 'array', items: { type: 'string', minLength: 1 } },
      escapeTags: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
  },
  defaultOptions: { escapeFunctions: ['escapeHtml', 'escapeHTML', 'htmlEscape', 'escape'], escapeTags: [] },
  // Every form the rule knows spells "html" in some case ('HTML', ParseMode.HTML, replyWithHTML);
  // a single literal, unlike an alternation, is searched at memchr speed.
  prefilter: /html/i,
  scanFile(ctx) {
    const { ts, sourceFile, options } = ctx;
    const source = sourceFile.text;
    const helper = options.escapeFunctions[0];
    const seen = new Set<string>();
    const emit = (problem: Problem) => {
      const key = `${problem.pos}\u0000${problem.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      ctx.report(problem);
    };

    const isEscapeCall = (call: TS.CallExpression) => matchesName(options.escapeFunctions, dottedName(ts, call.expression), calleeName(ts, call));
    const isEscapeTag = (tagged: TS.TaggedTemplateExpression) => {
      const tag = tagged.tag;
      const plain = ts.isIdentifier(tag) ? tag.text : ts.isPropertyAccessExpression(tag) ? tag.name.text : undefined;
      return matchesName(options.escapeTags, dottedName(ts, tag), plain);
    };

    /** The literal text between a template part's delimiters, as written in the source. */
    const rawPart = (node: TS.Node, closeLength: number): Piece => {
      const start = node.getStart(sourceFile) + 1;
      return { literal: source.slice(start, node.end - closeLength), start };
    };

    const templatePieces = (template: TS.TemplateLiteral): Piece[] => {
      if (ts.isNoSubstitutionTemplateLiteral(template)) return [rawPart(template, 1)];
      const pieces: Piece[] = [rawPart(template.head, 2)];
      for (const span of template.templateSpans) {
        pieces.push({ hole: span.expression }, rawPart(span.literal, ts.isTemplateTail(span.literal) ? 1 : 2));
      }
      return pieces;
    };

    /** The literal parts and interpolated values of a string, template or `+` chain, in order. */
    const flatten = (expression: TS.Expression): Piece[] => {
      const node = unwrapExpression(ts, expression);
      if (ts.isStringLiteral(node)) return [rawPart(node, 1)];
      if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return templatePieces(node);
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return [...flatten(node.left), ...flatten(node.right)];
      return [{ hole: node }];
    };

    const isTextBearing = (expression: TS.Expression): boolean => {
      const node = unwrapExpression(ts, expression);
      return (
        ts.isStringLiteral(node) ||
        ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateExpression(node) ||
        (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken)
      );
    };

    /** Tags in the literal parts (seen across interpolations) and problems in the interpolated values. */
    const fragmentProblems = (pieces: readonly Piece[], holesAreEscaped: boolean, followConst: boolean): Problem[] => {
      let text = '';
      const offsets: number[] = [];
      const problems: Problem[] = [];
      for (const piece of pieces) {
        if ('literal' in piece) {
          text += piece.literal;
          for (let index = 0; index < piece.literal.length; index++) offsets.push(piece.start + index);
        } else {
          text += HOLE;
          offsets.push(piece.hole.getStart(sourceFile));
          if (!holesAreEscaped) problems.push(...valueProblems(piece.hole, followConst));
        }
      }
      // A closing tag whose opening tag is already reported adds nothing to fix.
      const reportedOpenings = new Set<string>();
      for (const tag of findTags(text)) {
        const reason = unsupportedTagReason(tag);
        if (tag.closing && reportedOpenings.has(tag.name)) continue;
        if (reason) {
          if (!tag.closing) reportedOpenings.add(tag.name);
          problems.push({
            pos: offsets[tag.index]!,
            message: `${reason}: the Bot API refuses the whole message (400 "can't parse entities") and the user gets nothing.`,
            fix: tagFix(tag.name),
          });
        }
      }
      return problems;
    };

    const unescaped = (node: TS.Node, holds?: TS.Expression): Problem => {
      const shown = excerpt(node.getText(sourceFile));
      const held = holds ? ` (it holds \`${excerpt(holds.getText(sourceFile))}\`)` : '';
      return {
        pos: node.getStart(sourceFile),
        message: `\`${shown}\`${held} goes into HTML text unescaped: a "<" or "&" in it makes Telegram refuse the message, and user text can inject links and formatting.`,
        fix: helper
          ? `Escape it: \`${helper}(${shown})\`, or list your own helper in verify.rules.telegram-html-safety.options.escapeFunctions.`
          : 'Escape it with an HTML escape helper and list that helper in verify.rules.telegram-html-safety.options.escapeFunctions.',
      };
    };

    /**
     * What is wrong with a value interpolated into HTML text. Safe: escape-helper calls, numbers
     * (literals, arithmetic, `.length`, `Number()`, `.toFixed()`…), booleans, and literal text
     * whose tags are supported; a `const` is followed one level.
     */
    const valueProblems = (expression: TS.Expression, followConst: boolean): Problem[] => {
      const node = unwrapExpression(ts, expression);
      if (ts.isAwaitExpression(node)) return valueProblems(node.expression, followConst);
      if (isTextBearing(node)) return fragmentProblems(flatten(node), false, followConst);
      if (ts.isConditionalExpression(node)) return [...valueProblems(node.whenTrue, followConst), ...valueProblems(node.whenFalse, followConst)];
      if (ts.isBinaryExpression(node)) {
        const operator = node.operatorToken.kind;
        // `a && b` renders b, or a falsy a ("false", "0", ""): only b can carry markup.
        if (operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.CommaToken) return valueProblems(node.right, followConst);
        if (operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken) {
          return [...valueProblems(node.left, followConst), ...valueProblems(node.right, followConst)];
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
        return isEscapeTag(node) ? fragmentProblems(templatePieces(node.template), true, followConst) : [unescaped(node)];
      }
      if (ts.isCallExpression(node)) {
        if (isEscapeCall(node)) return [];
        const dotted = dottedName(ts, node.expression);
        const method = calleeName(ts, node);
        if (dotted !== undefined && (NUMERIC_FUNCTIONS.has(dotted) || dotted.startsWith('Math.'))) return [];
        if (ts.isPropertyAccessExpression(node.expression) && method !== undefined && NUMERIC_METHODS.has(method)) return [];
        if (dotted === 'String' && node.arguments.length === 1) return valueProblems(node.arguments[0]!, followConst);
        if (ts.isPropertyAccessExpression(node.expression) && method === 'toString') return valueProblems(node.expression.expression, followConst);
        return [unescaped(node)];
      }
      if (ts.isPropertyAccessExpression(node) && node.name.text === 'length') return [];
      if (ts.isIdentifier(node)) {
        if (node.text === 'undefined' || node.text === 'NaN' || node.text === 'Infinity') return [];
        const initializer = followConst ? constInitializer(ts, node) : undefined;
        if (!initializer) return [unescaped(node)];
        // A const built from text is checked where it is written; a const value is judged here.
        if (isTextBearing(initializer)) return valueProblems(initializer, false);
        return valueProblems(initializer, false).length > 0 ? [unescaped(node, initializer)] : [];
      }
      return [unescaped(node)];
    };

    /** Problems in the text of one send: literal text is checked, unknown text (a call, a parameter) is not. */
    const textProblems = (expression: TS.Expression, followConst: boolean): Problem[] => {
      const node = unwrapExpression(ts, expression);
      if (ts.isIdentifier(node)) {
        const initializer = followConst ? constInitializer(ts, node) : undefined;
        return initializer ? textProblems(initializer, false) : [];
      }
      if (ts.isConditionalExpression(node)) return [...textProblems(node.whenTrue, followConst), ...textProblems(node.whenFalse, followConst)];
      if (ts.isBinaryExpression(node) && (node.operatorToken.kind === ts.SyntaxKind.BarBarToken || node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) {
        return [...textProblems(node.left, followConst), ...textProblems(node.right, followConst)];
      }
      if (ts.isTaggedTemplateExpression(node)) return isEscapeTag(node) ? fragmentProblems(templatePieces(node.template), true, true) : [];
      if (!isTextBearing(node)) return [];
      const pieces = flatten(node);
      // `header + body` only joins texts made elsewhere: as unknown as either of them.
      return pieces.some((piece) => 'literal' in piece) ? fragmentProblems(pieces, false, true) : [];
    };

    /** The texts an HTML options object applies to, found from where the object (or a spread of it) is used. */
    const textsForOptions = (options: TS.Expression, followConst: boolean): TS.Expression[] => {
      if (ts.isObjectLiteralExpression(options)) {
        const own = TEXT_PROPERTIES.map((name) => propertyValue(ts, options, name)).find((value) => value !== undefined);
        if (own) return [own];
      }
      const outer = outermostWrapper(ts, options);
      const parent = outer.parent;
      if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.arguments?.includes(outer as TS.Expression)) {
        const index = parent.arguments.indexOf(outer as TS.Expression);
        const method = ts.isCallExpression(parent) ? calleeName(ts, parent) : undefined;
        if (index === 0 || (method !== undefined && MEDIA_METHOD.test(method))) return [];
        return [parent.arguments[index - 1]!];
      }
      if (ts.isSpreadAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) return textsForOptions(parent.parent, followConst);
      if (followConst && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name) && parent.initializer === outer) {
        return constReferences(ts, parent).flatMap((reference) => textsForOptions(reference, false));
      }
      return [];
    };

    const isHtmlMode = (value: TS.Expression): boolean => {
      const node = unwrapExpression(ts, value);
      const literal = staticString(ts, node);
      if (literal !== undefined) return /^html$/i.test(literal);
      if (ts.isPropertyAccessExpression(node)) return /^html$/i.test(node.name.text);
      if (ts.isIdentifier(node)) {
        const initializer = constInitializer(ts, node);
        const text = initializer && staticString(ts, unwrapExpression(ts, initializer));
        return text !== undefined && /^html$/i.test(text);
      }
      return false;
    };

    walk(ts, sourceFile, (node) => {
      if (ts.isObjectLiteralExpression(node)) {
        const mode = propertyValue(ts, node, 'parse_mode');
        if (mode && isHtmlMode(mode)) {
          for (const text of textsForOptions(node, true)) textProblems(text, true).forEach(emit);
        }
      } else if (ts.isCallExpression(node) && calleeName(ts, node) === 'replyWithHTML' && node.arguments[0]) {
        textProblems(node.arguments[0], true).forEach(emit);
      }
    });
  },
});


/** The outermost parenthesis or type assertion around an expression (the expression itself when none). */
function outermostWrapper(ts: TypeScript, expression: TS.Node): TS.Node {
  let node = expression;
  while (
    ts.isParenthesizedExpression(node.parent) ||
    ts.isAsExpression(node.parent) ||
    ts.isSatisfiesExpression(node.parent) ||
    ts.isNonNullExpression(node.parent) ||
    ts.isTypeAssertionExpression(node.parent)
  ) {
    node = node.parent;
  }
  return node;
}

/** The identifiers in a `const`'s scope that refer to it. */
function constReferences(ts: TypeScript, declaration: TS.VariableDeclaration): TS.Identifier[] {
  const statement = declaration.parent.parent;
  const name = declaration.name as TS.Identifier;
  if (!ts.isVariableStatement(statement)) return [];
  const references: TS.Identifier[] = [];
  walk(ts, statement.parent, (node) => {
    if (!ts.isIdentifier(node) || node === name || node.text !== name.text) return;
    const parent = node.parent;
    const isMemberName = (ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent)) && parent.name === node;
    if (!isMemberName && constInitializer(ts, node) === declaration.initializer) references.push(node);
  });
  return references;
}

function excerpt(code: string): string {
  const flat = code.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
