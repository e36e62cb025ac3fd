/**
 * A local Render REST API (api.render.com/v1) for tests, the bench, the demo and `trt ops`.
 *
 * It serves the logs endpoint (`GET /v1/logs`, paged by time window) from a store tests fill
 * with {@link RenderEmulator.addLogs}, and the deploy endpoints of a service, whose deploys move
 * through Render's statuses on the clock. Every request needs `Authorization: Bearer <key>`,
 * every answer carries Render's `Ratelimit-*` headers, requests over the budget are refused with
 * 429 and `Retry-After`, and a 429 can be injected for the next requests. Other processes drive
 * it through the `/__emulator/*` control endpoints.
 *
 * @example
 * ```ts
 * const render = await RenderEmulator.start({ apiKey: 'rnd_test', ownerId: 'tea-1', serviceIds: ['srv-1'] });
 * render.addLogs([{ timestamp: '2026-11-23T10:00:00.000Z', message: 'started', resource: 'srv-1', level: 'info' }]);
 * render.injectRateLimit({ times: 1, retryAfterSeconds: 0.2 });     // the next logs request gets a 429
 * // … the client calls `${render.apiRoot}/logs?ownerId=tea-1&resource=srv-1` …
 * render.calls();
 * await render.stop();
 * ```
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { acceptJsonBodies, BodyProblem, definedFields, isPlainObject, listenLocal } from '../net.js';
import {
  DEFAULT_DEPLOY_BEHAVIOUR,
  DEPLOY_STATUSES,
  DeployStore,
  deployBehaviourProblems,
  type DeployBehaviour,
  type RenderDeploy,
} from './deploys.js';
import { LogStore, logInputProblems, type RenderLog, type RenderLogInput } from './logs.js';
import { formatNanos, millisToNanos, NANOS_PER_MS, parseWireTime } from './time.js';

export type { DeployBehaviour, DeployStatus, FinalStatus, RenderDeploy } from './deploys.js';
export type { RenderLabel, RenderLog, RenderLogInput } from './logs.js';

/** Which budget a request counts against: the logs endpoint, or every other endpoint. */
export type RateLimitScope = 'logs' | 'other';

export interface RateLimitSettings {
  /** Requests to `GET /v1/logs` per window; default 30. */
  logs: number;
  /** Requests to every other endpoint per window; default 400 (Render's "all other GET"). */
  other: number;
  /** Length of the fixed window; default 60 000 ms. */
  windowMs: number;
}

export interface RenderEmulatorOptions {
  /** The only key accepted in `Authorization: Bearer <key>`. */
  apiKey: string;
  /** The workspace (`ownerId`) whose logs can be read; default `tea-emulator`. */
  ownerId?: string;
  /** The services deploys can be triggered for; default `['srv-emulator']`. */
  serviceIds?: string[];
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  rateLimit?: Partial<RateLimitSettings>;
  /** Over the default: mode `created`, 100 ms a step, final status `live`. */
  deployBehaviour?: Partial<DeployBehaviour>;
}

/** The next `times` requests of `scope` are answered 429 with `Retry-After: retryAfterSeconds`. */
export interface RateLimitFault {
  times?: number;
  /** May be fractional (e.g. 0.2) so tests need not wait whole seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Default `logs`. */
  scope?: RateLimitScope;
}

/** A request to the API (control endpoints are not recorded). */
export interface RenderCall {
  method: string;
  /** Path and query string, e.g. `/v1/logs?ownerId=…`. */
  path: string;
  /** ISO time it was answered. */
  at: string;
  status: number;
}

const DEFAULT_OWNER_ID = 'tea-emulator';
const DEFAULT_SERVICE_IDS = ['srv-emulator'];
const DEFAULT_RATE_LIMIT: RateLimitSettings = { logs: 30, other: 400, windowMs: 60_000 };
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const DEFAULT_LOG_WINDOW_MS = 60 * 60 * 1000;
const CONTROL = '/__emulator';
const CONTROL_ENDPOINTS =
  `GET ${CONTROL}/calls, GET ${CONTROL}/logs, POST ${CONTROL}/logs, POST ${CONTROL}/rate-limit-fault, ` +
  `POST ${CONTROL}/deploy-behaviour, GET ${CONTROL}/deploys, POST ${CONTROL}/reset`;

/** Render's error body. */
interface RenderError {
  id: string;
  message: string;
}

/** A fixed window of `limit` requests, started by the first request after the previous one ended. */
class RateWindow {
  private startedMs = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  take(nowMs: number): boolean {
    this.roll(nowMs);
    if (this.used >= this.limit) return false;
    this.used++;
    return true;
  }

  remaining(nowMs: number): number {
    this.roll(nowMs);
    return this.limit - this.used;
  }

  /** Milliseconds until the window ends (a whole window when none has started). */
  resetMs(nowMs: number): number {
    this.roll(nowMs);
    return this.used === 0 ? this.windowMs : this.startedMs + this.windowMs - nowMs;
  }

  private roll(nowMs: number): void {
    if (nowMs - this.startedMs < this.windowMs) return;
    this.startedMs = nowMs;
    this.used = 0;
  }
}

export class RenderEmulator {
  private readonly app: FastifyInstance;
  private readonly logStore = new LogStore();
  private readonly deployStore = new DeployStore();
  private readonly recorded: RenderCall[] = [];
  private readonly ownerId: string;
  private readonly serviceIds: ReadonlySet<string>;
  private readonly startDeployBehaviour: DeployBehaviour;
  private deployBehaviour: DeployBehaviour;
  private windows: Record<RateLimitScope, RateWindow>;
  private faults: Record<RateLimitScope, { remaining: number; retryAfterSeconds: number } | null> = { logs: null, other: null };
  private origin = '';
  private stopped = false;

  private constructor(private readonly options: RenderEmulatorOptions) {
    this.ownerId = options.ownerId ?? DEFAULT_OWNER_ID;
    this.serviceIds = new Set(options.serviceIds ?? DEFAULT_SERVICE_IDS);
    this.startDeployBehaviour = { ...DEFAULT_DEPLOY_BEHAVIOUR, ...definedFields(options.deployBehaviour ?? {}) };
    this.deployBehaviour = this.startDeployBehaviour;
    this.windows = this.freshWindows();
    this.app = this.buildApp();
  }

  static async start(options: RenderEmulatorOptions): Promise<RenderEmulator> {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new TypeError('RenderEmulator: apiKey must be a non-empty string, the key clients send as "Authorization: Bearer <key>"');
    }
    const rateProblems = rateLimitProblems(options.rateLimit ?? {});
    if (rateProblems.length > 0) throw new TypeError(`RenderEmulator: invalid rateLimit: ${rateProblems.join('; ')}`);
    const deployProblems = deployBehaviourProblems(options.deployBehaviour ?? {});
    if (deployProblems.length > 0) throw new TypeError(`RenderEmulator: invalid deployBehaviour: ${deployProblems.join('; ')}`);
    const emulator = new RenderEmulator(options);
    emulator.origin = await listenLocal(emulator.app, options);
    return emulator;
  }

  /** Like `https://api.render.com/v1`: what a client's RENDER_API_ROOT is set to. */
  get apiRoot(): string {
    return `${this.origin}/v1`;
  }

  /** The server's origin; the control endpoints are under `${url}/__emulator/`. */
  get url(): string {
    return this.origin;
  }

  /** Stores logs for `GET /v1/logs`; returns them as the API shows them (ids included). */
  addLogs(logs: readonly RenderLogInput[]): RenderLog[] {
    return this.logStore.add(logs);
  }

  /** Every stored log, oldest first. */
  logs(): RenderLog[] {
    return this.logStore.all();
  }

  injectRateLimit(fault: RateLimitFault = {}): void {
    const problems = faultProblems(fault);
    if (problems.length > 0) throw new TypeError(`invalid rate-limit fault: ${problems.join('; ')}`);
    this.faults[fault.scope ?? 'logs'] = { remaining: fault.times ?? 1, retryAfterSeconds: fault.retryAfterSeconds ?? 1 };
  }

  /** Deploys triggered from now on take this behaviour (over the default). */
  setDeployBehaviour(behaviour: Partial<DeployBehaviour>): void {
    const problems = deployBehaviourProblems(behaviour);
    if (problems.length > 0) throw new TypeError(`invalid deploy behaviour: ${problems.join('; ')}`);
    this.deployBehaviour = { ...DEFAULT_DEPLOY_BEHAVIOUR, ...definedFields(behaviour) };
  }

  /** Every deploy of every service, oldest first, with its status now. */
  deploys(): (RenderDeploy & { serviceId: string })[] {
    return this.deployStore.all(Date.now());
  }

  /** API requests in the order they were answered. */
  calls(): RenderCall[] {
    return this.recorded.map((call) => ({ ...call }));
  }

  /** Forgets logs, deploys, calls, faults and spent budgets; the deploy behaviour goes back to the one given at start. */
  reset(): void {
    this.logStore.clear();
    this.deployStore.clear();
    this.recorded.length = 0;
    this.faults = { logs: null, other: null };
    this.windows = this.freshWindows();
    this.deployBehaviour = this.startDeployBehaviour;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.app.close();
  }

  private freshWindows(): Record<RateLimitScope, RateWindow> {
    const settings = { ...DEFAULT_RATE_LIMIT, ...definedFields(this.options.rateLimit ?? {}) };
    return { logs: new RateWindow(settings.logs, settings.windowMs), other: new RateWindow(settings.other, settings.windowMs) };
  }

  private buildApp(): FastifyInstance {
    const app = Fastify({ logger: false });
    acceptJsonBodies(app);

    app.addHook('onRequest', async (request, reply) => {
      // An async hook that has answered must return the reply, or Fastify goes on to the route.
      if (isApiPath(request.url) && this.refused(request, reply)) return reply;
    });
    app.addHook('onSend', async (request, reply) => {
      if (isApiPath(request.url)) this.recorded.push({ method: request.method, path: request.url, at: new Date().toISOString(), status: reply.statusCode });
    });

    app.get('/v1/logs', (request, reply) => this.listLogs(request, reply));
    app.post('/v1/services/:serviceId/deploys', (request, reply) => this.triggerDeploy(request, reply));
    app.get('/v1/services/:serviceId/deploys', (request, reply) => this.listDeploys(request, reply));
    app.get('/v1/services/:serviceId/deploys/:deployId', (request, reply) => this.retrieveDeploy(request, reply));

    app.get(`${CONTROL}/calls`, (_request, reply) => reply.send({ calls: this.calls() }));
    app.get(`${CONTROL}/logs`, (_request, reply) => reply.send({ logs: this.logs() }));
    app.post(`${CONTROL}/logs`, (request, reply) => this.controlAddLogs(request, reply));
    app.post(`${CONTROL}/rate-limit-fault`, (request, reply) => this.controlFault(request, reply));
    app.post(`${CONTROL}/deploy-behaviour`, (request, reply) => this.controlDeployBehaviour(request, reply));
    app.get(`${CONTROL}/deploys`, (_request, reply) => reply.send({ deploys: this.deploys() }));
    app.post(`${CONTROL}/reset`, (_request, reply) => {
      this.reset();
      return reply.send({ ok: true });
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      if (path === CONTROL || path.startsWith(`${CONTROL}/`)) {
        return reply.code(404).send({ error: `unknown control endpoint ${request.method} ${path}; available: ${CONTROL_ENDPOINTS}` });
      }
      return fail(reply, 404, 'not_found', `not found: ${request.method} ${path}`);
    });
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      // A 500 is a bug of the emulator: keep its stack where the test runner shows it.
      if (status === 500) console.error(error);
      if (request.url.startsWith(CONTROL)) return reply.code(status).send({ error: error.message });
      return fail(reply, status, status === 500 ? 'internal_server_error' : 'bad_request', error.message);
    });
    return app;
  }

  /**
   * What every API request passes first, in Render's order: the key (401, budget untouched),
   * then an injected 429, then the budget. Every answer carries the Ratelimit-* headers. True
   * when the request was answered here.
   */
  private refused(request: FastifyRequest, reply: FastifyReply): boolean {
    const scope: RateLimitScope = request.url.split('?')[0] === '/v1/logs' ? 'logs' : 'other';
    const window = this.windows[scope];
    const now = Date.now();
    const headers = () =>
      reply.headers({
        'ratelimit-limit': window.limit,
        'ratelimit-remaining': window.remaining(now),
        'ratelimit-reset': Math.ceil(window.resetMs(now) / 1000),
      });
    if (!this.authorized(request)) {
      headers();
      fail(reply, 401, 'unauthorized', 'unauthorized');
      return true;
    }
    const fault = this.faults[scope];
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults[scope] = null;
      headers();
      reply.header('retry-after', String(fault.retryAfterSeconds));
      fail(reply, 429, 'too_many_requests', `rate limit exceeded (injected): retry after ${fault.retryAfterSeconds} s`);
      return true;
    }
    const allowed = window.take(now);
    headers();
    if (!allowed) {
      const retryAfter = Math.ceil(window.resetMs(now) / 1000);
      reply.header('retry-after', String(retryAfter));
      fail(reply, 429, 'too_many_requests', `rate limit exceeded: ${window.limit} requests per window; retry after ${retryAfter} s`);
    }
    return !allowed;
  }

  private authorized(request: FastifyRequest): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    return match?.[1] === this.options.apiKey;
  }

  private listLogs(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const query = request.query as Record<string, unknown>;
    const ownerIds = values(query, 'ownerId');
    if (ownerIds.length === 0) return fail(reply, 400, 'bad_request', 'ownerId is required');
    if (ownerIds[0] !== this.ownerId) return fail(reply, 404, 'not_found', `owner ${ownerIds[0]} not found`);
    const resources = values(query, 'resource');
    if (resources.length === 0) return fail(reply, 400, 'bad_request', 'resource is required: one or more resource ids (srv-…)');

    const problems: string[] = [];
    const nowMs = Date.now();
    // endTime is exclusive: the default takes in the current millisecond.
    const end = timeParam(query, 'endTime', millisToNanos(nowMs) + NANOS_PER_MS, problems);
    const start = timeParam(query, 'startTime', millisToNanos(nowMs - DEFAULT_LOG_WINDOW_MS), problems);
    const direction = values(query, 'direction')[0] ?? 'backward';
    if (direction !== 'forward' && direction !== 'backward') problems.push(`direction must be forward or backward, got ${JSON.stringify(direction)}`);
    const limit = limitParam(query, DEFAULT_LIMIT, problems);
    if (start !== null && end !== null && start > end) problems.push('startTime must not be after endTime');
    if (problems.length > 0) return fail(reply, 400, 'bad_request', problems.join('; '));

    const page = this.logStore.query({
      resources,
      start: start!,
      end: end!,
      direction: direction as 'forward' | 'backward',
      limit,
      levels: values(query, 'level'),
      types: values(query, 'type'),
      instances: values(query, 'instance'),
      texts: values(query, 'text'),
    });
    return reply.send({
      hasMore: page.hasMore,
      nextStartTime: formatNanos(page.nextStart),
      nextEndTime: formatNanos(page.nextEnd),
      logs: page.logs.map((entry) => entry.log),
    });
  }

  private triggerDeploy(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const { serviceId } = request.params as { serviceId: string };
    if (!this.serviceIds.has(serviceId)) return fail(reply, 404, 'not_found', `service ${serviceId} not found`);
    const body = request.body ?? {};
    if (body instanceof BodyProblem) return fail(reply, 400, 'bad_request', body.description);
    if (!isPlainObject(body)) return fail(reply, 400, 'bad_request', 'the body must be a JSON object like {"clearCache":"do_not_clear","commitId":"<sha>"}');
    const { clearCache, commitId } = body;
    if (clearCache !== undefined && clearCache !== 'clear' && clearCache !== 'do_not_clear') {
      return fail(reply, 400, 'bad_request', `clearCache must be "clear" or "do_not_clear", got ${JSON.stringify(clearCache)}`);
    }
    if (commitId !== undefined && (typeof commitId !== 'string' || commitId.trim() === '')) {
      return fail(reply, 400, 'bad_request', `commitId must be a commit SHA, got ${JSON.stringify(commitId)}`);
    }
    const deploy = this.deployStore.create(serviceId, commitId ?? null, this.deployBehaviour, Date.now());
    if (this.deployBehaviour.mode === 'queue') return reply.code(202).send();
    return reply.code(201).send(deploy);
  }

  private listDeploys(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const { serviceId } = request.params as { serviceId: string };
    if (!this.serviceIds.has(serviceId)) return fail(reply, 404, 'not_found', `service ${serviceId} not found`);
    const query = request.query as Record<string, unknown>;
    const problems: string[] = [];
    const statuses = values(query, 'status').flatMap((value) => value.split(','));
    for (const status of statuses) {
      if (!(DEPLOY_STATUSES as readonly string[]).includes(status)) problems.push(`status must be one of ${DEPLOY_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
    }
    const limit = limitParam(query, DEFAULT_LIMIT, problems);
    if (problems.length > 0) return fail(reply, 400, 'bad_request', problems.join('; '));

    const all = this.deployStore.list(serviceId, Date.now()).filter((deploy) => statuses.length === 0 || statuses.includes(deploy.status));
    const cursor = values(query, 'cursor')[0];
    const after = cursor === undefined ? 0 : all.findIndex((deploy) => cursorOf(deploy) === cursor) + 1;
    return reply.send(all.slice(after, after + limit).map((deploy) => ({ deploy, cursor: cursorOf(deploy) })));
  }

  private retrieveDeploy(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const { serviceId, deployId } = request.params as { serviceId: string; deployId: string };
    if (!this.serviceIds.has(serviceId)) return fail(reply, 404, 'not_found', `service ${serviceId} not found`);
    const deploy = this.deployStore.get(serviceId, deployId, Date.now());
    if (!deploy) return fail(reply, 404, 'not_found', `deploy ${deployId} not found`);
    return reply.send(deploy);
  }

  private controlAddLogs(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const body = request.body;
    const logs = Array.isArray(body) ? body : isPlainObject(body) ? body.logs : undefined;
    if (body instanceof BodyProblem) return reply.code(400).send({ error: body.description });
    if (!Array.isArray(logs)) return reply.code(400).send({ error: 'expected {"logs":[{"timestamp":"…","message":"…","resource":"srv-…","level":"info"}]}' });
    const problems = logs.flatMap((log: unknown, index) => logInputProblems(log).map((problem) => `logs[${index}]: ${problem}`));
    if (problems.length > 0) return reply.code(400).send({ error: `invalid logs: ${problems.join('; ')}` });
    return reply.send({ ok: true, added: this.addLogs(logs as RenderLogInput[]) });
  }

  private controlFault(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const body = request.body ?? {};
    const problems = body instanceof BodyProblem ? [body.description] : faultProblems(body);
    if (problems.length > 0) return reply.code(400).send({ error: `invalid rate-limit fault: ${problems.join('; ')}` });
    this.injectRateLimit(body as RateLimitFault);
    return reply.send({ ok: true });
  }

  private controlDeployBehaviour(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const body = request.body;
    const problems = body instanceof BodyProblem ? [body.description] : deployBehaviourProblems(body ?? null);
    if (problems.length > 0) return reply.code(400).send({ error: `invalid deploy behaviour: ${problems.join('; ')}` });
    this.setDeployBehaviour(body as Partial<DeployBehaviour>);
    return reply.send({ ok: true, deployBehaviour: this.deployBehaviour });
  }
}

function isApiPath(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}

function fail(reply: FastifyReply, status: number, id: string, message: string): FastifyReply {
  const body: RenderError = { id, message };
  return reply.code(status).send(body);
}

/** A query parameter's values: repeated (`resource=a&resource=b`) or single. */
function values(query: Record<string, unknown>, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).filter((value): value is string => typeof value === 'string' && value !== '');
}

function timeParam(query: Record<string, unknown>, name: string, fallback: bigint, problems: string[]): bigint | null {
  const text = values(query, name)[0];
  if (text === undefined) return fallback;
  const parsed = parseWireTime(text);
  if (parsed === null) problems.push(`${name} must be an RFC 3339 time or Unix seconds, got ${JSON.stringify(text)}`);
  return parsed;
}

function limitParam(query: Record<string, unknown>, fallback: number, problems: string[]): number {
  const text = values(query, 'limit')[0];
  if (text === undefined) return fallback;
  const limit = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) problems.push(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}`);
  return limit;
}

/** An opaque cursor, as Render's are: the deploy id, base64url-encoded. */
function cursorOf(deploy: RenderDeploy): string {
  return Buffer.from(deploy.id).toString('base64url');
}

function faultProblems(value: unknown): string[] {
  if (!isPlainObject(value)) return ['expected an object like {"times":1,"retryAfterSeconds":0.2,"scope":"logs"}'];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!['times', 'retryAfterSeconds', 'scope'].includes(key)) problems.push(`unknown field "${key}"; the fields are times, retryAfterSeconds, scope`);
  }
  const { times, retryAfterSeconds, scope } = value;
  if (times !== undefined && (!Number.isInteger(times) || (times as number) < 1)) problems.push(`times must be an integer ≥ 1, got ${JSON.stringify(times)}`);
  if (retryAfterSeconds !== undefined && (typeof retryAfterSeconds !== 'number' || !(retryAfterSeconds >= 0) || !Number.isFinite(retryAfterSeconds))) {
    problems.push(`retryAfterSeconds must be a number of seconds ≥ 0 (fractions allowed), got ${JSON.stringify(retryAfterSeconds)}`);
  }
  if (scope !== undefined && scope !== 'logs' && scope !== 'other') problems.push(`scope must be "logs" or "other", got ${JSON.stringify(scope)}`);
  return problems;
}

function rateLimitProblems(value: Partial<RateLimitSettings>): string[] {
  const problems: string[] = [];
  for (const [name, number] of Object.entries(value)) {
    if (!['logs', 'other', 'windowMs'].includes(name)) problems.push(`unknown field "${name}"; the fields are logs, other, windowMs`);
    else if (number !== undefined && (!Number.isInteger(number) || number < 1)) problems.push(`${name} must be an integer ≥ 1, got ${JSON.stringify(number)}`);
  }
  return problems;
}

