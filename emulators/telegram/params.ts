/**
 * Request parameters the way the Bot API reads them.
 *
 * The real server accepts the query string, a JSON body and a form-urlencoded body, and treats
 * every value as text: `true`, `"true"` and `"1"` are the same boolean, `42` and `"42"` the same
 * chat id, and structured values (reply_markup, prices, …) may arrive as objects or as JSON text.
 * The helpers here apply those rules so each method reads its parameters in one line.
 */
import { BodyProblem, isPlainObject } from '../net.js';

export type Params = Record<string, unknown>;

/** Parameters whose value is a JSON object or array, sent as JSON text in forms and query strings. */
const STRUCTURED_PARAMS = new Set([
  'allowed_updates', 'caption_entities', 'commands', 'entities', 'link_preview_options', 'media', 'prices',
  'reply_markup', 'reply_parameters', 'suggested_tip_amounts',
]);

export function parseJsonBody(body: string): Params | BodyProblem {
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return new BodyProblem(`can't parse JSON encoded request: ${(error as Error).message}`);
  }
  return isPlainObject(value) ? value : new BodyProblem('the JSON body must be an object of method parameters');
}

export function parseFormBody(body: string): Params {
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * Merges query and body parameters (the body wins) and decodes structured values given as JSON
 * text. Text that does not parse stays text, so the method can answer with Telegram's own error.
 */
export function normalizeParams(query: Params, body: Params): Params {
  // A repeated query key arrives as an array; like the real server, the first value counts.
  const firstOfQuery = Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]);
  const merged: Params = { ...Object.fromEntries(firstOfQuery), ...body };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'string' || !STRUCTURED_PARAMS.has(name)) continue;
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'object' && parsed !== null) merged[name] = parsed;
    } catch {
      // left as text on purpose: see above
    }
  }
  return merged;
}

/** A parameter as the text the Bot API sees: absent → '', objects → their JSON. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The Bot API's boolean: "true", "yes" or "1", case-insensitive. */
export function asBool(value: unknown): boolean {
  return ['true', 'yes', '1'].includes(asText(value).trim().toLowerCase());
}

/** An integer parameter, or undefined when absent or not an integer. */
export function asInteger(value: unknown): number | undefined {
  const text = asText(value).trim();
  if (!/^-?\d+$/.test(text)) return undefined;
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : undefined;
}

