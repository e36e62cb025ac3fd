import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import rule, { BUILDER_DEPTH, findTags, HOLE, matchesName, unsupportedTagReason } from '../../../cli/verify/rules/telegram-html-safety.js';
import { ruleFindings, writeRepo } from '../harness.js';

const RULE = 'telegram-html-safety';

async function snippetFindings(code: string) {
  const root = writeRepo({ 'product/truth.yaml': 'version: 1\nentrypoint: { blessed: src/main.ts }\n', 'src/send.ts': code });
  const result = await verify({ root, truth: join(root, 'product/truth.yaml'), cache: false, workers: 0, rules: [RULE] });
  return result.findings.map(({ line, column, severity }) => ({ line, column, severity }));
}

describe(RULE, () => {
  it.each([
    ['good/escaped-and-supported', []],
    ['good/configured-helper-and-tag', []],
    ['good/text-builders', []],
    [
      'bad/unsupported-tags',
      [
        { file: 'app/handlers/welcome.ts', line: 7, column: 20 },
        { file: 'app/handlers/welcome.ts', line: 7, column: 35 },
        { file: 'app/handlers/welcome.ts', line: 8, column: 20 },
        { file: 'app/handlers/welcome.ts', line: 10, column: 1 },
        { file: 'app/handlers/welcome.ts', line: 10, column: 5 },
        { file: 'app/handlers/welcome.ts', line: 11, column: 44 },
        { file: 'app/handlers/welcome.ts', line: 11, column: 69 },
        { file: 'app/handlers/welcome.ts', line: 12, column: 20 },
      ],
    ],
    [
      'bad/unescaped-values',
      [
        { file: 'app/bot/profile.ts', line: 9, column: 34 },
        { file: 'app/bot/profile.ts', line: 10, column: 29 },
        { file: 'app/bot/profile.ts', line: 11, column: 33 },
        { file: 'app/bot/profile.ts', line: 14, column: 37 },
        { file: 'app/bot/profile.ts', line: 19, column: 61 },
        { file: 'app/bot/profile.ts', line: 19, column: 91 },
        { file: 'app/bot/profile.ts', line: 20, column: 89 },
        { file: 'app/bot/profile.ts', line: 23, column: 57 },
        { file: 'app/bot/profile.ts', line: 25, column: 33 },
      ],
    ],
    [
      'bad/text-builders',
      [
        { file: 'app/bot/format.ts', line: 2, column: 16 },
        { file: 'app/bot/handlers.ts', line: 14, column: 25 },
        { file: 'app/bot/texts.ts', line: 6, column: 44 },
        { file: 'app/bot/texts.ts', line: 7, column: 83 },
        { file: 'app/bot/texts.ts', line: 8, column: 69 },
        { file: 'app/bot/texts.ts', line: 14, column: 20 },
      ],
    ],
    [
      'bad/helper-not-configured',
      [
        { file: 'app/notify.ts', line: 6, column: 48 },
        { file: 'app/notify.ts', line: 6, column: 69 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it.each([
    ['a tag split around an interpolation', "export const f = (api: any, url: string) => api.sendMessage(1, `<p class=\"${url}\">x</p>`, { parse_mode: 'HTML' });", [{ line: 1, column: 65 }, { line: 1, column: 77 }]],
    ['a conditional text', "export const f = (ctx: any, ok: boolean) => ctx.reply(ok ? '<b>ok</b>' : '<br>', { parse_mode: 'HTML' });", [{ line: 1, column: 75 }]],
    ['an options const passed by name in a nested scope', "const opts = { parse_mode: 'HTML' };\nexport function f(ctx: any) {\n  return ctx.reply(`<h2>${ctx.match}</h2>`, opts);\n}", [{ line: 3, column: 21 }, { line: 3, column: 27 }]],
    ['a parse mode held in a const', "const MODE = 'HTML';\nexport const f = (ctx: any) => ctx.reply('<p>', { parse_mode: MODE });", [{ line: 2, column: 43 }]],
    ['a concatenation of texts made elsewhere is not analysed', "export const f = (ctx: any, text: string) => ctx.reply(text + render(), { parse_mode: 'HTML' });\ndeclare function render(): string;", []],
    ['a concatenation with literal text is', "export const f = (ctx: any, text: string) => ctx.reply('<b>' + text, { parse_mode: 'HTML' });", [{ line: 1, column: 64 }]],
    ['a text built by a call is skipped', "export const f = (ctx: any) => ctx.reply(render(ctx.match), { parse_mode: 'HTML' });\ndeclare function render(x: string): string;", []],
    ['a let is not followed', "export function f(ctx: any) {\n  let text = `<p>${ctx.match}`;\n  return ctx.reply(text, { parse_mode: 'HTML' });\n}", []],
    ['MarkdownV2 is not HTML', "export const f = (ctx: any) => ctx.reply(`<p>${ctx.match}`, { parse_mode: 'MarkdownV2' });", []],
    ['an interpolated escaped template is checked for tags', "declare const html: any;\nexport const f = (ctx: any) => ctx.reply(`${cond() ? `<p>${escapeHtml(ctx.match)}</p>` : ''}`, { parse_mode: 'HTML' });\ndeclare function cond(): boolean; declare function escapeHtml(x: string): string;", [{ line: 2, column: 55 }]],
  ])('%s', async (_case, code, expected) => {
    expect((await snippetFindings(code)).map(({ line, column }) => ({ line, column }))).toEqual(expected);
  });

  it('reports at error severity by default', async () => {
    expect(await snippetFindings("export const f = (ctx: any) => ctx.reply('<br>', { parse_mode: 'HTML' });")).toEqual([{ line: 1, column: 43, severity: 'error' }]);
  });
});

const HTML = "{ parse_mode: 'HTML' }";

/** Findings on an in-memory repository: `src/send.ts` and the modules it imports. */
async function repoFindings(files: Record<string, string>) {
  const root = writeRepo({ 'product/truth.yaml': 'version: 1\nentrypoint: { blessed: src/main.ts }\n', ...files });
  const result = await verify({ root, truth: join(root, 'product/truth.yaml'), cache: false, workers: 0, rules: [RULE] });
  return result.findings.map(({ file, line, column, message }) => ({ file, line, column, message }));
}

describe(`${RULE}: texts made by builder functions`, () => {
  const send = (imports: string, text: string) => `${imports}\nexport const f = (ctx: any) => ctx.reply(${text}, ${HTML});\n`;

  it.each<[string, Record<string, string>, { file: string; line: number; column: number }[]]>([
    [
      'a member of an imported const object',
      {
        'src/texts.ts': 'export const texts = {\n  confirm: (prompt: string) => `Prompt: <i>${prompt}</i>`,\n} as const;\n',
        'src/send.ts': send("import { texts } from './texts.js';", 'texts.confirm(ctx.match)'),
      },
      [{ file: 'src/texts.ts', line: 2, column: 46 }],
    ],
    [
      'a method of a nested object',
      {
        'src/texts.ts': 'export const texts = {\n  menu: {\n    title(name: string) {\n      return `<b>${name}</b>`;\n    },\n  },\n};\n',
        'src/send.ts': send("import { texts } from './texts.js';", 'texts.menu.title(ctx.match)'),
      },
      [{ file: 'src/texts.ts', line: 4, column: 20 }],
    ],
    [
      'a function declaration of the same file, through a const holding its text',
      { 'src/send.ts': 'function hello(name: string) {\n  return "Hello, " + name;\n}\nexport function f(ctx: any) {\n  const text = hello(ctx.match);\n  return ctx.reply(text, { parse_mode: "HTML" });\n}\n' },
      [{ file: 'src/send.ts', line: 2, column: 22 }],
    ],
    [
      "a builder of the sending file, into the module it imports (described on demand: it never mentions HTML)",
      {
        'src/format.ts': 'export const quote = (text: string) => `<q>${text}</q>`;\n',
        'src/send.ts': "import { quote } from './format.js';\nconst welcome = (name: string) => quote(name);\nexport const f = (ctx: any) => ctx.reply(welcome(ctx.match), { parse_mode: 'HTML' });\n",
      },
      [
        { file: 'src/format.ts', line: 1, column: 41 },
        { file: 'src/format.ts', line: 1, column: 46 },
      ],
    ],
    [
      'a const arrow re-exported under another name',
      {
        'src/hello.ts': 'export const hello = (name: string) => `<b>${name}</b>`;\n',
        'src/index.ts': "export { hello as greet } from './hello.js';\n",
        'src/send.ts': send("import { greet } from './index.js';", 'greet(ctx.match)'),
      },
      [{ file: 'src/hello.ts', line: 1, column: 46 }],
    ],
    [
      'an object re-exported under another name',
      {
        'src/texts.ts': 'export const texts = { hi: (name: string) => `<b>${name}</b>` };\n',
        'src/index.ts': "export { texts as messages } from './texts.js';\n",
        'src/send.ts': send("import { messages } from './index.js';", 'messages.hi(ctx.match)'),
      },
      [{ file: 'src/texts.ts', line: 1, column: 52 }],
    ],
    [
      'a default-exported object',
      {
        'src/texts.ts': 'export default {\n  hi: (name: string) => `<b>${name}</b>`,\n};\n',
        'src/send.ts': send("import texts from './texts.js';", 'texts.hi(ctx.match)'),
      },
      [{ file: 'src/texts.ts', line: 2, column: 31 }],
    ],
    [
      'an object member that is an imported function',
      {
        'src/hello.ts': 'export function hello(name: string) {\n  return `<b>${name}</b>`;\n}\n',
        'src/texts.ts': "import { hello } from './hello.js';\nexport const texts = { hello };\n",
        'src/send.ts': send("import { texts } from './texts.js';", 'texts.hello(ctx.match)'),
      },
      [{ file: 'src/hello.ts', line: 2, column: 16 }],
    ],
    [
      'a parts array joined with a newline, with a .map() callback',
      {
        'src/texts.ts':
          'export const list = (title: string, items: readonly { name: string }[]) =>\n  [`<b>${title}</b>`, ...items.map((item) => `• ${item.name}`), `${items.length} items`].join(\'\\n\');\n',
        'src/send.ts': send("import { list } from './texts.js';", 'list(ctx.match, [])'),
      },
      [
        { file: 'src/texts.ts', line: 2, column: 10 },
        { file: 'src/texts.ts', line: 2, column: 51 },
      ],
    ],
    [
      'an unsupported tag in a builder, and in the separator of a join',
      {
        'src/texts.ts': "export const help = () => ['<h1>Help</h1>', '/start'].join('<br>');\n",
        'src/send.ts': send("import { help } from './texts.js';", 'help()'),
      },
      [
        { file: 'src/texts.ts', line: 1, column: 29 },
        { file: 'src/texts.ts', line: 1, column: 61 },
      ],
    ],
    [
      'a builder no HTML send uses',
      {
        'src/texts.ts': 'export const hi = (name: string) => `<p>${name}</p>`;\n',
        'src/send.ts': "import { hi } from './texts.js';\nexport const f = (ctx: any) => ctx.reply(hi(ctx.match));\n",
      },
      [],
    ],
    [
      'numbers: typed number parameters (destructured or defaulted), typed consts, for…of elements, arithmetic, .length',
      {
        'src/texts.ts':
          'export const a = (count: number, limit?: number | undefined) => `<b>${count}</b> of ${limit}`;\n' +
          'export const b = ({ used, left }: { used: number; left: bigint }, page = 1, done: boolean = false) => `${used} ${left} ${page} ${done}`;\n' +
          'export const c = (text: string, price: number) => `${text.length} chars, ${price * 2} ⭐, ${-price}`;\n' +
          'export function d(rows: readonly { n: number }[]) {\n' +
          '  for (const row of rows) if (row.n > 9) return `<b>${row.n}</b>`;\n' +
          '  const first: number = rows[0]?.n ?? 0;\n' +
          '  return `${first}`;\n' +
          '}\n',
        'src/send.ts': send("import { a, b, c, d } from './texts.js';", "a(1, 2) + b({ used: 1, left: 2n }) + c('x', 3) + d([])"),
      },
      [],
    ],
    [
      'a number field of an imported interface is harmless, a string field is not',
      {
        'src/model.ts': 'export interface Model {\n  title: string;\n  price: number;\n  limits: { daily: number };\n}\n',
        'src/texts.ts':
          "import type { Model } from './model.js';\nexport const card = (model: Model, all: Model[]) => `${model.price} ${model.limits.daily} ${all.map((m) => m.price).join(', ')} ${model.title}`;\n",
        'src/send.ts': send("import { card } from './texts.js';", 'card(ctx.model, [])'),
      },
      [{ file: 'src/texts.ts', line: 2, column: 131 }],
    ],
    [
      'a value typed by an interface of the same file',
      {
        'src/texts.ts': 'interface Row {\n  id: number;\n  name: string;\n}\nexport const row = (r: Row) => `${r.id}: ${r.name}`;\n',
        'src/send.ts': send("import { row } from './texts.js';", 'row(ctx.row)'),
      },
      [{ file: 'src/texts.ts', line: 5, column: 44 }],
    ],
    [
      "a builder whose whole text is another builder's",
      {
        'src/texts.ts': 'const inner = (name: string) => `<b>${name}</b>`;\nexport const outer = (name: string) => inner(name);\n',
        'src/send.ts': send("import { outer } from './texts.js';", 'outer(ctx.match)'),
      },
      [{ file: 'src/texts.ts', line: 1, column: 39 }],
    ],
    [
      `builder calls are followed ${BUILDER_DEPTH} deep`,
      {
        'src/texts.ts': [
          'export const a = (x: string) => `<b>${b(x)}</b>`;',
          'const b = (x: string) => `<i>${c(x)}</i>`;',
          'const c = (x: string) => `<u>${d(x)}</u>`;',
          'const d = (x: string) => `<s>${x}</s>${e(x)}`;',
          'const e = (x: string) => `<code>${x}</code>`;',
          '',
        ].join('\n'),
        'src/send.ts': send("import { a } from './texts.js';", 'a(ctx.match)'),
      },
      [{ file: 'src/texts.ts', line: 4, column: 32 }],
    ],
    [
      'an interpolated call to a function that returns a plain value is reported at the call',
      {
        'src/send.ts':
          "const nameOf = (user: { name: string }) => user.name;\nconst price = (n: number) => n.toFixed(2);\nconst safe = (s: string) => escapeHtml(s);\ndeclare function escapeHtml(s: string): string;\n" +
          'export const f = (ctx: any) => ctx.reply(`${nameOf(ctx.from)}: ${price(ctx.n)} ${safe(ctx.match)}`, { parse_mode: "HTML" });\n',
      },
      [{ file: 'src/send.ts', line: 5, column: 45 }],
    ],
  ])('%s', async (_case, files, expected) => {
    expect((await repoFindings(files)).map(({ file, line, column }) => ({ file, line, column }))).toEqual(expected);
  });

  it('names the sends whose text holds a finding inside a builder', async () => {
    const findings = await repoFindings({
      'src/texts.ts': 'export const texts = {\n  confirm: (prompt: string) => `Prompt: <i>${prompt}</i>`,\n};\n',
      'src/send.ts': `import { texts } from './texts.js';\nexport const f = (ctx: any) => ctx.reply(texts.confirm(ctx.match), ${HTML});\nexport const g = (ctx: any) => ctx.reply(texts.confirm('x'), ${HTML});\n`,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('`texts.confirm(…)` at src/send.ts:2 and 1 other send');
  });

  it('says what a called function returns when the call is reported', async () => {
    const [finding] = await repoFindings({
      'src/send.ts': 'const nameOf = (user: { name: string }) => user.name;\nexport const f = (ctx: any) => ctx.reply(`<b>${nameOf(ctx.from)}</b>`, { parse_mode: "HTML" });\n',
    });
    expect(finding!.message).toContain('it returns `user.name`');
  });
});

describe('telegram-html-safety helpers', () => {
  it.each([
    ['<b>bold</b>', [['b', false, 0], ['b', true, 7]]],
    ['<a href="x">y</a><br/>', [['a', false, 0], ['a', true, 13], ['br', false, 17]]],
    ['2 <3 and <- arrow', [['', false, 2], ['', false, 9]]],
    [`<h${HOLE}>title</h${HOLE}> <${HOLE}>`, []],
    ['<TG-Spoiler>x</tg-spoiler>', [['tg-spoiler', false, 0], ['tg-spoiler', true, 13]]],
  ])('findTags(%j)', (text, expected) => {
    expect(findTags(text).map(({ name, closing, index }) => [name, closing, index])).toEqual(expected);
  });

  it.each([
    ['<b>', false],
    ['<blockquote expandable>', false],
    ['<span class="tg-spoiler">', false],
    [`<span class="${HOLE}">`, false],
    ['</span>', false],
    ['<tg-time unix="1">', false],
    ['<span>', true],
    ['<span class="hidden">', true],
    ['<br>', true],
    ['<p>', true],
    ['<3', true],
  ])('unsupportedTagReason(%s) reports: %s', (text, reported) => {
    const [tag] = findTags(text);
    expect(unsupportedTagReason(tag!) !== undefined).toBe(reported);
  });

  it.each([
    [['escapeHtml'], 'escapeHtml', 'escapeHtml', true],
    [['escapeHtml'], 'utils.escapeHtml', 'escapeHtml', true],
    [['he.escape'], 'he.escape', 'escape', true],
    [['he.escape'], 'lodash.escape', 'escape', false],
    [['escape'], 'he.escape', 'escape', true],
    [['escapeHtml'], 'escapeHtmlish', 'escapeHtmlish', false],
  ])('matchesName(%j, %s)', (names, dotted, plain, expected) => {
    expect(matchesName(names, dotted, plain)).toBe(expected);
  });

  it.each([
    ["ctx.reply(text, { parse_mode: 'HTML' })", true],
    ['await replyWithHTML(`<b>x</b>`)', true],
    ["{ parse_mode: ParseMode.Html }", true],
    ["{ parse_mode: 'html' }", true],
    ["ctx.reply(text, { parse_mode: 'MarkdownV2' })", false],
    ['export const x = 1;', false],
    // Builder modules are described on demand, when a send leads to them: they need not match.
    ['export const texts = { hello };', false],
    ['export { texts } from "./texts.js";', false],
  ])('prefilter on %j: %s', (text, expected) => {
    expect(rule.prefilter!.test(text)).toBe(expected);
  });
});
