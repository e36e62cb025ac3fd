/**
 * The HTTP client of `trt smoke`: undici with a keep-alive pool per origin, a connect timeout
 * and a deadline per request, so nothing hangs. It is safe for production by construction:
 * - every attempt against a production origin counts against a budget, and the budget refuses
 *   the request that would exceed it;
 * - transient network errors are retried a bounded number of times, each retry recorded, and
 *   only where retrying cannot change what the service sees (a POST only when the connection
 *   was never made);
 * - once an origin cannot be reached at all, later requests to it fail at once with the same
 *   reason instead of waiting out the connect timeout again (an unreachable URL fails every
 *   scenario in seconds).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as undiciRequest } from 'undici';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Deadline for the whole exchange, headers and body; default {@link HttpClientOptions.timeoutMs}. */
  timeoutMs?: number;
  /** Retries for transient network errors; default {@link HttpClientOptions.retries}. 0 for a request that must be sent once. */
  retries?: number;
  /** A probe of a service that may still be starting: a refused connection is expected, so it is neither retried nor remembered as unreachable. */
  probe?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** Time from sending (the last attempt) to the end of the body. */
  ms: number;
  /** Transient failures retried before this answer, e.g. "ECONNREFUSED, retried after 100 ms". */
  retried: string[];
}

export type NetworkFailure = 'connect' | 'timeout' | 'reset' | 'budget' | 'unreachable';

/** A request that got no HTTP answer: `kind` says why, the message says it for a person. */
export class HttpFailure extends Error {
  override readonly name = 'HttpFailure';
  constructor(
    readonly kind: NetworkFailure,
    message: string,
    readonly retried: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface HttpClientOptions {
  /** Attempts allowed against the budgeted origins for the whole run. */
  maxRequests: number;
  /** Origins the budget applies to (production); requests elsewhere are not counted. */
  budgetedOrigins: readonly string[];
  connectTimeoutMs?: number;
  timeoutMs?: number;
  retries?: number;
  /** Pause before the first retry; doubled for each next one. */
  retryDelayMs?: number;
}

/** Errors that mean the request never reached the service: safe to retry even for a POST. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Errors after the connection was made: retried only for a GET. */
const DROPPED = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);
/** Errors that say the origin cannot be reached at all: later requests to it fail at once. */
const UNREACHABLE = new Set([...NOT_CONNECTED, 'ENOTFOUND']);
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED', 'ABORT_ERR']);

const MAX_BODY_CHARS = 1_000_000;

export class HttpClient {
  readonly #agent: Agent;
  readonly #options: Required<Omit<HttpClientOptions, 'budgetedOrigins'>> & { budgetedOrigins: Set<string> };
  readonly #unreachable = new Map<string, string>();
  #spent = 0;

  constructor(options: HttpClientOptions) {
    this.#options = {
      connectTimeoutMs: 2000,
      timeoutMs: 5000,
      retries: 2,
      retryDelayMs: 100,
      ...options,
      budgetedOrigins: new Set(options.budgetedOrigins.map((url) => new URL(url).origin)),
    };
    this.#agent = new Agent({ connect: { timeout: this.#options.connectTimeoutMs }, keepAliveTimeout: 4000, connections: 16 });
  }

  /** Attempts made against the budgeted origins so far. */
  get spent(): number {
    return this.#spent;
  }

  /** Sends the request; an HTTP answer of any status resolves, no answer rejects with {@link HttpFailure}. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const origin = new URL(request.url).origin;
    const retried: string[] = [];
    const retries = request.probe ? 0 : (request.retries ?? this.#options.retries);
    for (let attempt = 0; ; attempt++) {
      const down = this.#unreachable.get(origin);
      if (down !== undefined) throw new HttpFailure('unreachable', `${origin} is not reachable (${down}); not tried again in this run`, retried);
      this.#charge(origin, request);
      try {
        return { ...(await this.#attempt(request)), retried };
      } catch (error) {
        const code = errorCode(error);
        const failure = describeFailure(code, error, request.timeoutMs ?? this.#options.timeoutMs);
        const retryable = NOT_CONNECTED.has(code) || (request.method === 'GET' && DROPPED.has(code));
        if (!retryable || attempt >= retries) {
          if (UNREACHABLE.has(code) && !request.probe) this.#unreachable.set(origin, failure.message);
          throw new HttpFailure(failure.kind, failure.message, retried);
        }
        const delay = this.#options.retryDelayMs * 2 ** attempt;
        retried.push(`${failure.message}; retried after ${delay} ms`);
        await sleep(delay);
      }
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #charge(origin: string, request: HttpRequest): void {
    if (!this.#options.budgetedOrigins.has(origin)) return;
    if (this.#spent >= this.#options.maxRequests) {
      throw new HttpFailure('budget', `request budget of ${this.#options.maxRequests} spent; ${request.method} ${new URL(request.url).pathname} not sent (raise smoke.max_requests in truth.yaml)`);
    }
    this.#spent++;
  }

  async #attempt(request: HttpRequest): Promise<Omit<HttpResponse, 'retried'>> {
    const timeoutMs = request.timeoutMs ?? this.#options.timeoutMs;
    const headers: Record<string, string> = { ...request.headers };
    let body: string | undefined;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    const response = await undiciRequest(request.url, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      dispatcher: this.#agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await response.body.text()).slice(0, MAX_BODY_CHARS);
    const ms = performance.now() - started;
    return { status: response.statusCode, headers: flattenHeaders(response.headers), text, json: parseJson(text), ms };
  }
}

function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'UNKNOWN';
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'ABORT_ERR';
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? errorCode(cause) : 'UNKNOWN';
}

function describeFailure(code: string, error: unknown, timeoutMs: number): { kind: NetworkFailure; message: string } {
  if (NOT_CONNECTED.has(code)) return { kind: 'connect', message: `cannot connect: ${code}` };
  if (code === 'ENOTFOUND') return { kind: 'connect', message: 'cannot resolve the host name (ENOTFOUND)' };
  if (DROPPED.has(code)) return { kind: 'reset', message: `the connection was dropped before an answer (${code})` };
  if (TIMED_OUT.has(code)) return { kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
  return { kind: 'connect', message: `request failed: ${error instanceof Error ? error.message : String(error)} (${code})` };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
