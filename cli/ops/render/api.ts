/**
 * What every client of Render's REST API shares: where the API is (RENDER_API_ROOT), how a
 * request is sent (the key only in the Authorization header), what Render's errors look like
 * (`{ id, message }`), what a refused key becomes (a TrtError, never a retry) and how long a 429
 * asks to wait. The logs client (cli/ops/logs/render-source.ts) and the deploys client
 * (./deploys.ts) both build on it, so a fix to any of these lands once.
 */
import { request, type Dispatcher } from 'undici';
import { TrtError } from '../../core/errors.js';

export const DEFAULT_RENDER_API_ROOT = 'https://api.render.com/v1';

/** One HTTP answer, headers lower-cased, body as text. */
export interface RenderAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface RenderRequest {
  method: 'GET' | 'POST';
  apiKey: string;
  /** Sent as JSON. */
  body?: unknown;
  dispatcher: Dispatcher;
  timeoutMs: number;
}

/** RENDER_API_ROOT without its trailing slash, or the default; a TrtError when it is not a URL. */
export function renderApiRoot(env: NodeJS.ProcessEnv): string {
  const apiRoot = (env.RENDER_API_ROOT ?? '').trim() || DEFAULT_RENDER_API_ROOT;
  try {
    new URL(apiRoot);
  } catch {
    throw new TrtError('RENDER_CONFIG', `RENDER_API_ROOT ${JSON.stringify(apiRoot)} is not a URL`, `unset it to use ${DEFAULT_RENDER_API_ROOT}`);
  }
  return apiRoot.replace(/\/+$/, '');
}

/** Sends one request; network failures and timeouts are thrown for the caller to retry or report. */
export async function sendRenderRequest(url: string, options: RenderRequest): Promise<RenderAnswer> {
  const response = await request(url, {
    method: options.method,
    headers: {
      authorization: `Bearer ${options.apiKey}`,
      accept: 'application/json',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    dispatcher: options.dispatcher,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: lowerCaseHeaders(response.headers), text };
}

/** A 401 or 403: the key is wrong or lacks access. Retrying cannot help, so it ends the run. */
export function isKeyRefused(status: number): boolean {
  return status === 401 || status === 403;
}

/** The TrtError for a refused key; `hint` says where this caller's key must have access. */
export function keyRefusedError(status: number, hint: string): TrtError {
  return new TrtError('RENDER_AUTH', `RENDER_API_KEY was refused by Render (${status}): check the key`, hint);
}

/** Render's `{ id, message }` error, or the start of whatever came instead. */
export function renderErrorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; id?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: show the start of it.
  }
  return text.slice(0, 200) || '(empty answer)';
}

/** How long a 429 asks to wait: `Retry-After` (seconds, fractions allowed, or an HTTP date), else `Ratelimit-Reset`. */
export function retryHint(headers: Record<string, string>): { ms: number; basis: string } | null {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return { ms: seconds * 1000, basis: `Retry-After: ${retryAfter}` };
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return { ms: Math.max(0, date - Date.now()), basis: `Retry-After: ${retryAfter}` };
  }
  const reset = resetMs(headers['ratelimit-reset']);
  return reset === null ? null : { ms: reset, basis: `Ratelimit-Reset: ${headers['ratelimit-reset']}` };
}

/**
 * `Ratelimit-Reset` in milliseconds from now. Render's documentation calls it epoch seconds but
 * its example shows seconds to go (45); a value past 10^9 is read as epoch seconds.
 */
export function resetMs(value: string | undefined): number | null {
  if (value === undefined) return null;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return null;
  return seconds > 1e9 ? Math.max(0, seconds * 1000 - Date.now()) : seconds * 1000;
}

/** A network failure in a few words: the timeout, the socket error code, or the message. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

function lowerCaseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}
