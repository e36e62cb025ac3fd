/**
 * A local Telegram Bot API for tests, the bench, the demo and `trt smoke`.
 *
 * It speaks the real wire format on `/bot<token>/<method>`, records every call, can be told to
 * fail the next calls of a method (429 with retry_after, 403 blocked, …) and delivers updates to
 * the webhook the bot registered, with its secret header. Other processes drive it through the
 * `/__emulator/*` control endpoints.
 *
 * @example
 * ```ts
 * const telegram = await TelegramEmulator.start({ token: '123456:TEST' });
 * const api = new Api('123456:TEST', { apiRoot: telegram.apiRoot });
 * await api.setWebhook('http://127.0.0.1:3000/webhook', { secret_token: 's3cret' });
 * await telegram.deliver({ update_id: 1, message: { … } });
 * const reply = await telegram.waitForCall((call) => call.method === 'sendMessage');
 * await telegram.stop();
 * ```
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { BotApiError, findMethod, METHOD_NAMES, type Handler } from './methods.js';
import { BodyProblem, describeFetchError, isPlainObject, listenLocal } from '../net.js';
import { Waiters } from '../waiters.js';
import { asInteger, normalizeParams, parseFormBody, parseJsonBody, type Params } from './params.js';
import { TelegramState, unixNow } from './state.js';

export interface RecordedCall {
  /** As Telegram spells it (`sendMessage`), whatever case the client used. */
  method: string;
  params: Record<string, unknown>;
  /** ISO time the call arrived. */
  at: string;
  ok: boolean;
  /** The JSON body the emulator answered. */
  response: unknown;
}

export interface TelegramEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The only token accepted, `<bot id>:<secret>`; getMe's id is its numeric prefix. */
  token: string;
  botUsername?: string;
}

export interface TelegramFault {
  method: string;
  errorCode: number;
  description: string;
  /** How many calls fail; default 1. */
  times?: number;
  /** Seconds, sent as `parameters.retry_after`; a 429 without it gets 1. */
  retryAfter?: number;
}

/** Why {@link TelegramEmulator.deliver} could not hand the update over. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly reason: 'no-webhook' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

interface ApiBody {
  ok: boolean;
  result?: unknown;
  description?: string;
  error_code?: number;
  parameters?: { retry_after: number };
}

interface PendingFault {
  method: string;
  error: BotApiError;
  remaining: number;
}

const CONTROL = '/__emulator';
const CONTROL_ENDPOINTS = `GET ${CONTROL}/calls, POST ${CONTROL}/deliver, POST ${CONTROL}/faults, POST ${CONTROL}/reset`;
const DEFAULT_WAIT_MS = 5_000;
/** Telegram gives a webhook about a minute; tests want a quicker, still generous, verdict. */
const DELIVERY_TIMEOUT_MS = 30_000;
const MULTIPART_REFUSED =
  'file uploads (multipart/form-data) are not emulated: send parameters as JSON, form-urlencoded or in the ' +
  'query string, and photos as an HTTP URL or a file_id';

export class TelegramEmulator {
  private readonly app: FastifyInstance;
  private readonly recorded: RecordedCall[] = [];
  private readonly waiters = new Waiters<RecordedCall>();
  private faults: PendingFault[] = [];
  private root = '';
  private stopped = false;

  private constructor(
    private readonly token: string,
    private readonly state: TelegramState,
  ) {
    this.app = this.buildApp();
  }

  static async start(options: TelegramEmulatorOptions): Promise<TelegramEmulator> {
    const match = /^(\d+):\S+$/.exec(options.token ?? '');
    if (!match) {
      throw new TypeError(
        `TelegramEmulator: the token must look like a Bot API token "<bot id>:<secret>" (e.g. "123456:TEST"), ` +
          `got ${JSON.stringify(options.token)}`,
      );
    }
    const emulator = new TelegramEmulator(options.token, new TelegramState(Number(match[1]), options.botUsername ?? 'trt_test_bot'));
    emulator.root = await listenLocal(emulator.app, options);
    return emulator;
  }

  /** The base URL a client puts before `/bot<token>/<method>`: grammY's `client.apiRoot`. */
  get apiRoot(): string {
    return this.root;
  }

  /** Recorded calls in arrival order; `method` is case-insensitive, `chatId` matches `chat_id`. */
  calls(filter: { method?: string; chatId?: number } = {}): RecordedCall[] {
    const method = filter.method?.toLowerCase();
    return this.recorded.filter(
      (call) =>
        (!method || call.method.toLowerCase() === method) &&
        (filter.chatId === undefined || asInteger(call.params.chat_id) === filter.chatId),
    );
  }

  /**
   * The first call, already recorded or still to come, that satisfies `predicate`. On timeout it
   * rejects with the methods recorded so far, which usually tells what went wrong.
   */
  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedCall> {
    const existing = this.recorded.find(predicate);
    if (existing) return Promise.resolve(existing);
    return this.waiters.wait(predicate, timeoutMs, () => `no matching Telegram call within ${timeoutMs} ms; recorded so far: ${this.summary()}`);
  }

  /**
   * POSTs `update` to the webhook of the last setWebhook, with its secret in
   * `X-Telegram-Bot-Api-Secret-Token`, and returns the webhook's answer whatever its status.
   * Rejects with a {@link DeliveryError} when no webhook is set or it cannot be reached.
   */
  async deliver(update: object): Promise<{ status: number; body: string }> {
    if (!isPlainObject(update)) {
      throw new TypeError('deliver() takes a Telegram Update object, e.g. { update_id: 1, message: { … } }');
    }
    const webhook = this.state.webhook;
    if (!webhook) {
      throw new DeliveryError(
        'no-webhook',
        `no webhook is set on the Telegram emulator at ${this.apiRoot}: the bot must call setWebhook against this ` +
          'apiRoot before updates can be delivered',
      );
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = webhook.secretToken;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      const body = await response.text();
      if (!response.ok) {
        this.state.lastWebhookError = {
          date: unixNow(),
          message: `Wrong response from the webhook: ${response.status} ${response.statusText}`,
        };
      }
      return { status: response.status, body };
    } catch (error) {
      const reason = describeFetchError(error, DELIVERY_TIMEOUT_MS);
      this.state.lastWebhookError = { date: unixNow(), message: reason };
      throw new DeliveryError('unreachable', `could not deliver the update to the webhook ${webhook.url}: ${reason}`);
    }
  }

  /** The next `times` calls of `fault.method` fail with this error instead of being served. */
  injectFault(fault: TelegramFault): void {
    const problems = faultProblems(fault);
    if (problems.length > 0) throw new TypeError(`invalid fault: ${problems.join('; ')}`);
    const retryAfter = fault.retryAfter ?? (fault.errorCode === 429 ? 1 : undefined);
    this.faults.push({
      method: findMethod(fault.method)!.name,
      error: new BotApiError(fault.errorCode, fault.description, retryAfter),
      remaining: fault.times ?? 1,
    });
  }

  /** Forgets recorded calls and pending faults; the webhook and sent messages stay. */
  reset(): void {
    this.recorded.length = 0;
    this.faults = [];
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.waiters.rejectAll(`the Telegram emulator stopped before a matching call arrived; recorded: ${this.summary()}`);
    await this.app.close();
  }

  private buildApp(): FastifyInstance {
    const app = Fastify({ logger: false });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      done(null, parseJsonBody(body as string));
    });
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, parseFormBody(body as string));
    });
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_request, _body, done) => {
      done(null, new BodyProblem(MULTIPART_REFUSED));
    });
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
      done(null, new BodyProblem(`unsupported Content-Type "${request.headers['content-type']}"`));
    });

    app.get(`${CONTROL}/calls`, (request, reply) => this.controlCalls(request, reply));
    app.post(`${CONTROL}/deliver`, (request, reply) => this.controlDeliver(request, reply));
    app.post(`${CONTROL}/faults`, (request, reply) => this.controlFaults(request, reply));
    app.post(`${CONTROL}/reset`, (_request, reply) => {
      this.reset();
      return reply.send({ ok: true });
    });
    app.route({ method: ['GET', 'POST'], url: '/*', handler: (request, reply) => this.serveBotApi(request, reply) });
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found' }));
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      // A 500 is a bug of the emulator: keep its stack where the test runner shows it.
      if (status === 500) console.error(error);
      if (request.url.startsWith(CONTROL)) return reply.code(status).send({ error: error.message });
      const description = status === 413 ? 'Request Entity Too Large' : `${status === 500 ? 'Internal Server Error' : 'Bad Request'}: ${error.message}`;
      const body: ApiBody = { ok: false, error_code: status, description };
      this.record(botMethodOf(request.url), {}, body);
      return reply.code(status).send(body);
    });
    return app;
  }

  private serveBotApi(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0]!;
    if (path === CONTROL || path.startsWith(`${CONTROL}/`)) {
      return reply.code(404).send({ error: `unknown control endpoint ${request.method} ${path}; available: ${CONTROL_ENDPOINTS}` });
    }
    const match = /^\/bot([^/]+)\/([^/]+)$/.exec(path);
    if (!match) return reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found' });
    const token = decodeSegment(match[1]!);
    const requested = decodeSegment(match[2]!);
    const method = findMethod(requested);
    const body = request.body;
    const params = normalizeParams(request.query as Params, body instanceof BodyProblem || !isPlainObject(body) ? {} : body);

    let answer: ApiBody;
    if (token !== this.token) answer = errorBody(new BotApiError(401, 'Unauthorized'));
    else if (!method) answer = errorBody(new BotApiError(404, 'Not Found: method not found'));
    else if (body instanceof BodyProblem) answer = errorBody(new BotApiError(400, `Bad Request: ${body.description}`));
    else answer = this.takeFault(method.name) ?? this.invoke(method.handle, params);

    this.record(method?.name ?? requested, params, answer);
    return reply.code(answer.error_code ?? 200).send(answer);
  }

  private invoke(handle: Handler, params: Params): ApiBody {
    try {
      const { result, description } = handle(params, this.state);
      return description ? { ok: true, result, description } : { ok: true, result };
    } catch (error) {
      if (error instanceof BotApiError) return errorBody(error);
      throw error;
    }
  }

  private takeFault(method: string): ApiBody | undefined {
    const fault = this.faults.find((candidate) => candidate.method === method);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
    return errorBody(fault.error);
  }

  private record(method: string, params: Params, response: ApiBody): void {
    const call: RecordedCall = { method, params, at: new Date().toISOString(), ok: response.ok, response };
    this.recorded.push(call);
    this.waiters.offer(call);
  }

  /** "sendMessage ×2, answerCallbackQuery ×1", or "none". */
  private summary(): string {
    const counts = new Map<string, number>();
    for (const call of this.recorded) counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
    return counts.size === 0 ? 'none' : [...counts].map(([method, count]) => `${method} ×${count}`).join(', ');
  }

  private controlCalls(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const query = request.query as Record<string, string | undefined>;
    const chatText = query.chat_id?.trim() ?? '';
    const chatId = chatText === '' ? undefined : asInteger(chatText);
    if (chatText !== '' && chatId === undefined) {
      return reply.code(400).send({ error: `chat_id must be an integer, got ${JSON.stringify(query.chat_id)}` });
    }
    return reply.send({ calls: this.calls({ method: query.method || undefined, chatId }) });
  }

  private async controlDeliver(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const update = request.body;
    if (update instanceof BodyProblem || !isPlainObject(update)) {
      const why = update instanceof BodyProblem ? `: ${update.description}` : '';
      return reply.code(400).send({
        error: `the body must be a Telegram Update as a JSON object, e.g. {"update_id":1,"message":{…}}${why}`,
      });
    }
    try {
      return reply.send(await this.deliver(update));
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      return reply.code(error.reason === 'no-webhook' ? 409 : 502).send({ error: error.message });
    }
  }

  private controlFaults(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const fault = request.body;
    if (fault instanceof BodyProblem) return reply.code(400).send({ error: `invalid fault: ${fault.description}` });
    const problems = faultProblems(fault);
    if (problems.length > 0) return reply.code(400).send({ error: `invalid fault: ${problems.join('; ')}` });
    this.injectFault(fault as TelegramFault);
    return reply.send({ ok: true });
  }
}

/** Every problem with a fault description, so one round trip fixes them all. */
function faultProblems(fault: unknown): string[] {
  if (!isPlainObject(fault)) {
    return ['expected an object like {"method":"sendMessage","errorCode":429,"description":"Too Many Requests: retry after 1"}'];
  }
  const problems: string[] = [];
  if (typeof fault.method !== 'string' || !findMethod(fault.method)) {
    problems.push(`method must be one of ${METHOD_NAMES.join(', ')}, got ${JSON.stringify(fault.method)}`);
  }
  if (!Number.isInteger(fault.errorCode) || (fault.errorCode as number) < 400 || (fault.errorCode as number) > 599) {
    problems.push(`errorCode must be an integer from 400 to 599, got ${JSON.stringify(fault.errorCode)}`);
  }
  if (typeof fault.description !== 'string' || fault.description.trim() === '') {
    problems.push('description must be a non-empty string, e.g. "Forbidden: bot was blocked by the user"');
  }
  for (const name of ['times', 'retryAfter'] as const) {
    const value = fault[name];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) {
      problems.push(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  return problems;
}

function errorBody(error: BotApiError): ApiBody {
  const body: ApiBody = { ok: false, error_code: error.errorCode, description: error.description };
  if (error.retryAfter !== undefined) body.parameters = { retry_after: error.retryAfter };
  return body;
}

function botMethodOf(url: string): string {
  const requested = decodeSegment(/^\/bot[^/]+\/([^/?]+)/.exec(url)?.[1] ?? '');
  return findMethod(requested)?.name ?? requested;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}


