import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import rule, { findTags, HOLE, matchesName, unsupportedTagReason } from '../../../cli/verify/rules/telegram-html-safety.js';
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
  ])('prefilter on %j: %s', (text, expected) => {
    expect(rule.prefilter!.test(text)).toBe(expected);
  });
});
