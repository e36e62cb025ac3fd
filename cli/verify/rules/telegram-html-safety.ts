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
 * concatenation, a joined array (`[…].join('\n')`), a conditional, or a `const` initialised with
 * one of those. A text made by a function of the repository — `texts.confirm(model, prompt)`
 * (a member of a `const` object), `welcome(name)`, in the same file or imported, also through
 * re-exports — is followed into the function's returned text, up to {@link BUILDER_DEPTH}
 * builder-to-builder calls: its problems are reported where they are written, naming the send.
 *
 * @example
 * ```ts
 * await ctx.reply(`Hello, <b>${ctx.from.first_name}</b><br>`, { parse_mode: 'HTML' });
 * //                         ^ unescaped value              ^ unsupported tag
 * await ctx.reply(`Hello, <b>${escapeHtml(ctx.from.first_name)}</b>\n`, { parse_mode: 'HTML' });
 * await ctx.reply(texts.confirm(model, prompt), { parse_mode: 'HTML' });
 * // texts.ts: confirm: (model: Model, prompt: string) => `Generate <b>${prompt}</b>?`
 * //                                                                  ^ reported here, naming the send
 * ```
 */
import type TS from 'typescript';
import { defineRule, type TypeScript } from '../rule.js';
import { calleeName, constInitializer, propertyValue, staticString, unwrapExpression, walk } from '../scan/ast.js';
import { createHtmlTextAnalyser, HtmlTextIndex, sendSpecifiers, unescapedProblem, type CallFact, type HtmlTextFacts, type ResolvedBuilder, type TypedValueFact } from '../scan/html-text.js';

export { findTags, HOLE, matchesName, TELEGRAM_HTML_TAGS, unsupportedTagReason, type HtmlTag } from '../scan/html-text.js';

interface Options {
  /** Functions whose result is safe inside HTML text: by name (`escapeHtml`) or dotted name (`he.escape`). */
  escapeFunctions: string[];
  /** Template tags that escape their interpolations, e.g. `html` for html`<b>${name}</b>`. */
  escapeTags: string[];
}

/** How many builder calls inside a builder (`texts.confirm()` → `line()` → `bold()`) are followed. */
export const BUILDER_DEPTH = 3;

/** Where the text of an HTML send is made, for the findings inside builders. */
interface Send {
  file: string;
  line: number;
  code: string;
}

/** Where a finding goes, what it says, and the sends whose text holds it. */
interface Finding {
  file: string;
  line: number;
  column: number;
  message: string;
  fix: string;
  sends: Send[];
}

/** Where a Bot API payload keeps its text: messages, media captions, inline results' `input_message_content`. */
const TEXT_PROPERTIES = ['text', 'caption', 'message_text'];
/** Send methods whose text is only ever the `caption` option: their argument before the options is the media. */
const MEDIA_METHOD = /photo|video|document|animation|audio|voice|sticker|media|caption|invoice|poll|location|venue|contact|dice/i;

export default defineRule<Options, HtmlTextFacts>({
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
  // Sends spell "html" in some case ('HTML', ParseMode.HTML, replyWithHTML). The builders and
  // types they use from other files are described on demand, for just those files.
  prefilter: /html/i,
  onDemand: {
    seeds: sendSpecifiers,
    describe: ({ ts, sourceFile, position, options }) => createHtmlTextAnalyser(ts, sourceFile, position, options).facts(),
  },
  scanFile(ctx) {
    const { ts, sourceFile, options } = ctx;
    const analyser = createHtmlTextAnalyser(ts, sourceFile, ctx.position, options);
    const seen = new Set<string>();
    const emit = (problem: { pos: number; message: string; fix: string }) => {
      const key = `${problem.pos}\u0000${problem.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      ctx.report(problem);
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

    let sends = false;
    walk(ts, sourceFile, (node) => {
      if (ts.isObjectLiteralExpression(node)) {
        const mode = propertyValue(ts, node, 'parse_mode');
        if (mode && isHtmlMode(mode)) {
          for (const text of textsForOptions(node, true)) {
            analyser.sendText(text).forEach(emit);
            sends = true;
          }
        }
      } else if (ts.isCallExpression(node) && calleeName(ts, node) === 'replyWithHTML' && node.arguments[0]) {
        analyser.sendText(node.arguments[0]).forEach(emit);
        sends = true;
      }
    });
    // A file without sends starts no chain: it is described only if a send's chain reaches it.
    const facts = sends ? analyser.facts() : undefined;
    if (facts) ctx.record(facts);
  },
  check(ctx) {
    const facts = ctx.facts();
    // Only what an HTML send reaches is checked: a builder no send uses says nothing.
    if (!facts.some(({ fact }) => fact.sends.calls.length > 0 || fact.sends.typed.length > 0)) return;
    const index = new HtmlTextIndex(facts, ctx.graph);
    const helper = ctx.options.escapeFunctions[0];
    const findings = new Map<string, Finding>();

    const add = (file: string, at: { line: number; column: number }, problem: { message: string; fix: string }, send: Send | undefined) => {
      const key = `${file}:${at.line}:${at.column}:${problem.message}`;
      const finding = findings.get(key) ?? { file, line: at.line, column: at.column, message: problem.message, fix: problem.fix, sends: [] };
      findings.set(key, finding);
      if (send && !finding.sends.some((known) => known.file === send.file && known.line === send.line && known.code === send.code)) finding.sends.push(send);
    };
    const unescapedValue = (file: string, value: CallFact | TypedValueFact, returns: string | undefined, send: Send | undefined) => {
      const returned = returns === undefined ? undefined : value.holds ? `, which returns \`${returns}\`` : `it returns \`${returns}\``;
      const note = value.holds ? `it holds \`${value.holds}\`${returned ?? ''}` : returned;
      add(file, value, unescapedProblem(value.shown, note, helper), send);
    };

    /** The plain value (`user.name`) a builder's result is, when it is not text: interpolating it is unescaped. */
    const rawReturn = (target: ResolvedBuilder, depth: number): string | undefined => {
      if (target.builder.raw !== undefined) return target.builder.raw;
      if (depth >= BUILDER_DEPTH) return undefined;
      for (const call of target.builder.calls) {
        if (call.as !== 'text') continue;
        const next = index.builder(target.file, call.ref);
        const raw = next ? rawReturn(next, depth + 1) : call.shown;
        if (raw !== undefined) return raw;
      }
      return undefined;
    };

    const follow = (file: string, call: CallFact, depth: number, send: Send | undefined, visited: Set<string>): void => {
      const target = index.builder(file, call.ref);
      if (call.as === 'value') {
        // A function trt cannot find is as unknown as any call; one it finds is unescaped only when it returns a plain value.
        const returns = target ? rawReturn(target, depth) : undefined;
        if (!target || returns !== undefined) unescapedValue(file, call, returns, send);
      }
      if (target) visit(target, depth, send ?? { file, line: call.line, code: call.code }, visited);
    };

    const visit = (target: ResolvedBuilder, depth: number, send: Send, visited: Set<string>): void => {
      const key = `${target.file}#${target.builder.id}`;
      if (visited.has(key)) return;
      visited.add(key);
      for (const problem of target.builder.problems) add(target.file, problem, problem, send);
      for (const value of target.builder.typed) if (!index.isPlain(target.file, value)) unescapedValue(target.file, value, undefined, send);
      if (depth >= BUILDER_DEPTH) return;
      for (const call of target.builder.calls) follow(target.file, call, depth + 1, send, visited);
    };

    for (const { file, fact } of facts) {
      for (const value of fact.sends.typed) if (!index.isPlain(file, value)) unescapedValue(file, value, undefined, undefined);
      for (const call of fact.sends.calls) follow(file, call, 0, undefined, new Set());
    }
    for (const { sends, ...finding } of findings.values()) {
      ctx.report({ ...finding, message: sends.length > 0 ? `${finding.message} ${sentBy(sends)}` : finding.message });
    }
  },
});

/** Which sends a finding inside a builder reaches Telegram through. */
function sentBy(sends: readonly Send[]): string {
  const [first] = sends;
  const others = sends.length - 1;
  return `It is sent with parse_mode HTML through \`${first!.code}\` at ${first!.file}:${first!.line}${others > 0 ? ` and ${others} other send${others === 1 ? '' : 's'}` : ''}.`;
}

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
