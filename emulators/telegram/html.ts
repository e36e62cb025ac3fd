/**
 * Telegram's `parse_mode: "HTML"`, as the Bot API applies it.
 *
 * The algorithm and the error wording follow TDLib's `parse_html` (td/telegram/MessageEntity.cpp),
 * which is what api.telegram.org runs: the same tag set, the same entity decoding, the same
 * "… at byte offset N" messages (offsets count UTF-8 bytes of the source). So user text sent
 * without escaping fails here exactly as it fails in production:
 *
 * ```ts
 * parseTelegramHtml('a < b');
 * // { ok: false, error: 'Unsupported start tag "" at byte offset 2' }
 * parseTelegramHtml('<b>5 &lt; 6</b>');
 * // { ok: true, text: '5 < 6', entities: [{ type: 'bold', offset: 0, length: 5 }] }
 * ```
 */
import type { MessageEntity } from 'grammy/types';

export type HtmlParseResult =
  | { ok: true; text: string; entities: MessageEntity[] }
  | { ok: false; error: string };

const SUPPORTED_TAGS = new Set([
  'a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins', 'tg-spoiler', 'tg-emoji', 'tg-time', 'span',
  'pre', 'code', 'blockquote',
]);

const SIMPLE_ENTITY_TYPES: Readonly<Record<string, MessageEntity.CommonMessageEntity['type']>> = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', 'tg-spoiler': 'spoiler', span: 'spoiler',
};

/** TDLib reads a NUL-terminated buffer, so "end of text" behaves like a space character. */
const END = '\0';
const SPACES = new Set([' ', '\t', '\r', '\n', '\v', '\f', END]);
const NAME_TOKEN = /[A-Za-z0-9.-]/;
const NAMED_ENTITIES = new Map([['lt', 0x3c], ['gt', 0x3e], ['amp', 0x26], ['quot', 0x22]]);

interface OpenTag {
  name: string;
  /** href, code language, "spoiler", "expandable", emoji id or the tg-time attributes. */
  argument: string;
  format: string;
  offset: number;
}

/** Code entities keep their `language-…` class until the enclosing `<pre>` closes. */
type PendingEntity = MessageEntity & { codeLanguage?: string };

/** A refusal with TDLib's wording; caught once, in {@link parseTelegramHtml}. */
class HtmlError extends Error {}

/** A position in the source, read the way TDLib reads its NUL-terminated buffer. */
class Cursor {
  index = 0;
  constructor(readonly source: string) {}

  get char(): string {
    return this.source[this.index] ?? END;
  }

  get atEnd(): boolean {
    return this.index >= this.source.length;
  }

  skipSpaces(): void {
    while (!this.atEnd && SPACES.has(this.char)) this.index++;
  }

  /** Advances to the next space, `>` or one of `stops`; returns what it passed. */
  readUntil(stops = ''): string {
    const from = this.index;
    while (!SPACES.has(this.char) && this.char !== '>' && !stops.includes(this.char)) this.index++;
    return this.source.slice(from, this.index);
  }

  byteOffset(index: number): number {
    return Buffer.byteLength(this.source.slice(0, index), 'utf8');
  }
}

export function parseTelegramHtml(source: string): HtmlParseResult {
  const cursor = new Cursor(source);
  let text = '';
  const open: OpenTag[] = [];
  const entities: PendingEntity[] = [];
  try {
    for (; !cursor.atEnd; cursor.index++) {
      const char = cursor.char;
      const decoded = char === '&' ? decodeHtmlEntity(source, cursor.index) : undefined;
      if (decoded) {
        text += decoded.char;
        cursor.index = decoded.end - 1;
      } else if (char !== '<') {
        text += char;
      } else if (source[cursor.index + 1] !== '/') {
        open.push(readStartTag(cursor, text.length));
      } else {
        const tag = readEndTag(cursor, open);
        const length = text.length - tag.offset;
        if (length > 0) entities.push(entityFor(tag, length, text, entities));
      }
    }
    if (open.length > 0) throw new HtmlError(`Can't find end tag corresponding to start tag "${open.at(-1)!.name}"`);
  } catch (error) {
    if (error instanceof HtmlError) return { ok: false, error: error.message };
    throw error;
  }
  const finished = entities.map(({ codeLanguage: _language, ...entity }) => entity as MessageEntity);
  return { ok: true, ...trimFormatted(text, finished) };
}

/** Reads `<name attr="value" …>` from the `<`; leaves the cursor on the `>`. */
function readStartTag(cursor: Cursor, offset: number): OpenTag {
  const begin = cursor.index++;
  const where = () => `at byte offset ${cursor.byteOffset(begin)}`;
  const name = cursor.readUntil().toLowerCase();
  if (cursor.atEnd) throw new HtmlError(`Unclosed start tag ${where()}`);
  if (!SUPPORTED_TAGS.has(name)) throw new HtmlError(`Unsupported start tag "${name}" ${where()}`);

  const tag: OpenTag = { name, argument: '', format: '', offset };
  while (cursor.char !== '>') {
    cursor.skipSpaces();
    if (cursor.char === '>') break;
    const attribute = cursor.readUntil('=');
    if (attribute === '') throw new HtmlError(`Empty attribute name in the tag "${name}" ${where()}`);
    cursor.skipSpaces();
    if (cursor.char !== '=') {
      if (name === 'blockquote' && attribute === 'expandable') {
        tag.argument = 'expandable';
        continue;
      }
      if (cursor.atEnd) throw new HtmlError(`Unclosed start tag ${where()}`);
      throw new HtmlError(`Expected equal sign in declaration of an attribute of the tag "${name}" ${where()}`);
    }
    cursor.index++;
    cursor.skipSpaces();
    if (cursor.atEnd) throw new HtmlError(`Unclosed start tag "${name}" ${where()}`);
    const value = readAttributeValue(cursor);
    if (cursor.atEnd) throw new HtmlError(`Unclosed start tag ${where()}`);

    if (name === 'a' && attribute === 'href') tag.argument = value;
    else if (name === 'code' && attribute === 'class' && value.startsWith('language-')) tag.argument = value.slice(9);
    else if (name === 'span' && attribute === 'class' && value.startsWith('tg-')) tag.argument = value.slice(3);
    else if (name === 'tg-emoji' && attribute === 'emoji-id') tag.argument = value;
    else if (name === 'tg-time' && attribute === 'unix') tag.argument = value;
    else if (name === 'tg-time' && attribute === 'format') tag.format = value;
  }
  if (name === 'span' && tag.argument !== 'spoiler') throw new HtmlError(`Tag "span" must have class "tg-spoiler" ${where()}`);
  return tag;
}

/** A quoted value (entities decoded) or an HTML name token (lowercased, as SGML has it). */
function readAttributeValue(cursor: Cursor): string {
  const quote = cursor.char;
  if (quote !== '"' && quote !== "'") {
    const from = cursor.index;
    while (NAME_TOKEN.test(cursor.char)) cursor.index++;
    if (!SPACES.has(cursor.char) && cursor.char !== '>') {
      throw new HtmlError(`Unexpected end of name token at byte offset ${cursor.byteOffset(from)}`);
    }
    return cursor.source.slice(from, cursor.index).toLowerCase();
  }
  let value = '';
  cursor.index++;
  while (!cursor.atEnd && cursor.char !== quote) {
    const decoded = cursor.char === '&' ? decodeHtmlEntity(cursor.source, cursor.index) : undefined;
    value += decoded ? decoded.char : cursor.char;
    cursor.index = decoded ? decoded.end : cursor.index + 1;
  }
  if (cursor.char === quote) cursor.index++;
  return value;
}

/** Reads `</name>` (or `</>`, which closes the innermost tag) and returns the tag it closes. */
function readEndTag(cursor: Cursor, open: OpenTag[]): OpenTag {
  const begin = cursor.index;
  const where = `at byte offset ${cursor.byteOffset(begin)}`;
  if (open.length === 0) throw new HtmlError(`Unexpected end tag ${where}`);
  cursor.index += 2;
  const name = cursor.readUntil().toLowerCase();
  cursor.skipSpaces();
  if (cursor.char !== '>') throw new HtmlError(`Unclosed end tag ${where}`);
  const tag = open.pop()!;
  if (name !== '' && name !== tag.name) {
    throw new HtmlError(`Unmatched end tag ${where}, expected "</${tag.name}>", found "</${name}>"`);
  }
  return tag;
}

/** The entity a closed tag produces. */
function entityFor(tag: OpenTag, length: number, text: string, previous: PendingEntity[]): PendingEntity {
  const offset = tag.offset;
  const simple = SIMPLE_ENTITY_TYPES[tag.name];
  if (simple) return { type: simple, offset, length };
  switch (tag.name) {
    case 'code':
      return tag.argument ? { type: 'code', offset, length, codeLanguage: tag.argument } : { type: 'code', offset, length };
    case 'pre': {
      // `<pre><code class="language-x">…</code></pre>` is one pre entity with a language.
      const last = previous.at(-1);
      if (last?.type === 'code' && last.offset === offset && last.length === length && last.codeLanguage) {
        previous.pop();
        return { type: 'pre', offset, length, language: last.codeLanguage };
      }
      return { type: 'pre', offset, length };
    }
    case 'blockquote':
      return { type: tag.argument === 'expandable' ? 'expandable_blockquote' : 'blockquote', offset, length };
    case 'tg-emoji':
      if (!/^\d+$/.test(tag.argument)) throw new HtmlError('Invalid custom emoji identifier specified');
      return { type: 'custom_emoji', offset, length, custom_emoji_id: tag.argument };
    case 'tg-time': {
      if (!/^\d+$/.test(tag.argument)) throw new HtmlError('Invalid Unix time specified in the tag "tg-time"');
      const entity = { type: 'date_time', offset, length, unix_time: Number(tag.argument) };
      return (tag.format ? { ...entity, date_time_format: tag.format } : entity) as MessageEntity.DateTimeMessageEntity;
    }
    default: {
      // The only tag left is <a>; without href its text is the URL.
      const url = tag.argument || text.slice(offset, offset + length);
      const mention = /^tg:\/\/user\?id=(\d+)$/.exec(url);
      if (mention) {
        return { type: 'text_mention', offset, length, user: { id: Number(mention[1]), is_bot: false, first_name: '' } };
      }
      return { type: 'text_link', offset, length, url };
    }
  }
}

/**
 * Telegram drops leading and trailing whitespace from every message text and caption; entities
 * are shifted and clipped with it, and those left empty disappear.
 */
export function trimFormatted(text: string, entities: readonly MessageEntity[]): { text: string; entities: MessageEntity[] } {
  const start = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const kept: MessageEntity[] = [];
  for (const entity of entities) {
    const from = Math.max(entity.offset - start, 0);
    const to = Math.min(entity.offset + entity.length - start, trimmed.length);
    if (to > from) kept.push({ ...entity, offset: from, length: to - from });
  }
  kept.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: trimmed, entities: kept };
}

/**
 * Decodes `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric references at `position` (the `;` is
 * optional, as in TDLib). Anything else is not an entity and the `&` stays literal.
 */
function decodeHtmlEntity(source: string, position: number): { char: string; end: number } | undefined {
  let end = position + 1;
  let code = 0;
  if (source[end] === '#') {
    end++;
    const hex = source[end] === 'x';
    if (hex) end++;
    const digits = hex ? /[0-9a-fA-F]/ : /[0-9]/;
    while (end < source.length && digits.test(source[end]!)) {
      code = code * (hex ? 16 : 10) + Number.parseInt(source[end]!, hex ? 16 : 10);
      end++;
      if (code >= 0x10ffff) return undefined;
    }
    if (code === 0 || end - position >= 10 || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  } else {
    while (end < source.length && /[A-Za-z]/.test(source[end]!)) end++;
    const value = NAMED_ENTITIES.get(source.slice(position + 1, end));
    if (value === undefined) return undefined;
    code = value;
  }
  if (source[end] === ';') end++;
  return { char: String.fromCodePoint(code), end };
}
