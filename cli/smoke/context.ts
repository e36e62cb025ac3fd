/**
 * What scenarios work with: the settings, the budgeted HTTP client, the synthetic update factory
 * and the few exchanges every scenario speaks — post an update, read /health, read the admin
 * events journal, poll until something shows up. A request that gets no HTTP answer stops the
 * scenario with a {@link ScenarioAbort} naming the request; the runner turns it into a failure.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { AppEvent } from '../../bot/events/events.js';
import { SECRET_HEADER } from '../../bot/http/auth.js';
import { HttpFailure, type HttpClient, type HttpRequest, type HttpResponse } from './http.js';
import type { SmokeSettings } from './settings.js';
import { SyntheticUpdates } from './updates.js';

export type Target = 'url' | 'passive-url';

/** Evidence is plain JSON: it goes into every report as it is. */
export type Evidence = Record<string, unknown>;

/** GET /admin/credits?chat_id= as far as smoke reads it; unchecked JSON, hence `unknown`. */
export interface Credits {
  balance?: unknown;
  entries?: { cid?: unknown; kind?: unknown; amount?: unknown; ref?: unknown }[];
}

/** A scenario cannot go on; the reason names what failed, `evidence` what was seen. */
export class ScenarioAbort extends Error {
  override readonly name = 'ScenarioAbort';
  constructor(
    message: string,
    readonly evidence: Evidence = {},
  ) {
    super(message);
  }
}

export interface Poll<T> {
  value: T | undefined;
  /** Time from the start of the poll to its end. */
  ms: number;
  polls: number;
}

export class SmokeContext {
  readonly updates: SyntheticUpdates;
  #healthValidator: ValidateFunction | null = null;
  #retries: string[] = [];

  constructor(
    readonly settings: SmokeSettings,
    readonly http: HttpClient,
    now: number = Date.now(),
  ) {
    this.updates = new SyntheticUpdates(settings.chatId ?? 0, now);
  }

  baseUrl(target: Target): string {
    if (target === 'url') return this.settings.url;
    if (this.settings.passiveUrl === null) throw new ScenarioAbort('no --passive-url given');
    return this.settings.passiveUrl;
  }

  /** The transient failures retried since the last call: a scenario's evidence records them, so a retry never hides a flaky network. */
  takeRetries(): string[] {
    return this.#retries.splice(0);
  }

  /** Sends a request to one of the services; no HTTP answer at all aborts the scenario. */
  async request(target: Target, request: Omit<HttpRequest, 'url'> & { path: string }): Promise<HttpResponse> {
    const { path, ...rest } = request;
    return this.sendTo(`${this.baseUrl(target)}${path}`, rest);
  }

  private async sendTo(url: string, request: Omit<HttpRequest, 'url'>): Promise<HttpResponse> {
    const { pathname } = new URL(url);
    try {
      const response = await this.http.send({ ...request, url });
      for (const retry of response.retried) this.#retries.push(`${request.method} ${pathname}: ${retry}`);
      return response;
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      throw new ScenarioAbort(`${request.method} ${pathname}: ${error.message}`, { request: `${request.method} ${url}`, failure: error.kind, ...(error.retried.length > 0 ? { retried: error.retried } : {}) });
    }
  }

  /** Posts an update to the webhook with the secret from the environment; `secret: null` leaves the header out. */
  postUpdate(target: Target, update: unknown, options: { secret?: string | null; retries?: number; timeoutMs?: number } = {}): Promise<HttpResponse> {
    const secret = options.secret === undefined ? this.settings.webhookSecret.value : options.secret;
    return this.request(target, {
      method: 'POST',
      path: '/webhook',
      json: update,
      headers: secret === null ? {} : { [SECRET_HEADER]: secret },
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /** An admin API call with `Authorization: Bearer <admin secret>`; anything but 200 aborts. */
  async admin<T>(target: Target, method: 'GET' | 'POST', path: string, json?: unknown): Promise<T> {
    const response = await this.request(target, {
      method,
      path,
      headers: { authorization: `Bearer ${this.settings.adminSecret.value ?? ''}` },
      ...(json === undefined ? {} : { json }),
    });
    if (response.status !== 200 || response.json === undefined) {
      const hint = response.status === 401 || response.status === 403 ? ` (is ${this.settings.adminSecret.env} the service's admin secret?)` : '';
      throw new ScenarioAbort(`${method} ${path} answered ${response.status}${hint}`, { status: response.status, body: cut(response.text) });
    }
    return response.json as T;
  }

  async events(target: Target, filter: { updateId?: number; cid?: string }): Promise<AppEvent[]> {
    const query = filter.updateId !== undefined ? `update_id=${filter.updateId}` : `cid=${encodeURIComponent(filter.cid ?? '')}`;
    const body = await this.admin<{ events?: unknown }>(target, 'GET', `/admin/events?${query}&limit=200`);
    if (!Array.isArray(body.events)) throw new ScenarioAbort('GET /admin/events did not answer { "events": [...] }', { body: cut(JSON.stringify(body)) });
    return body.events as AppEvent[];
  }

  /** The smoke chat's balance and latest ledger entries. */
  credits(target: Target): Promise<Credits> {
    return this.admin<Credits>(target, 'GET', `/admin/credits?chat_id=${this.settings.chatId}&limit=50`);
  }

  /**
   * Polls `probe` until it returns a value, for at most `withinMs`. The pause between polls
   * grows from 50 ms to `maxEveryMs`, so a fast service is seen fast and a slow one is not
   * flooded: the number of polls stays small and bounded.
   */
  async poll<T>(probe: () => Promise<T | undefined>, withinMs: number, maxEveryMs = 250): Promise<Poll<T>> {
    const started = performance.now();
    let polls = 0;
    let pause = 50;
    for (;;) {
      polls++;
      const value = await probe();
      const ms = performance.now() - started;
      if (value !== undefined || ms >= withinMs) return { value, ms, polls };
      await sleep(Math.min(pause, Math.max(0, withinMs - ms)));
      pause = Math.min(pause * 2, maxEveryMs);
    }
  }

  /**
   * Polls the events of an update or cid until `done` holds for them, for at most `withinMs`.
   * The events are the last ones read either way, so a caller never asks again after a timeout.
   */
  async pollEvents(target: Target, filter: { updateId?: number; cid?: string }, done: (events: AppEvent[]) => boolean, withinMs: number): Promise<Omit<Poll<unknown>, 'value'> & { events: AppEvent[]; done: boolean }> {
    let events: AppEvent[] = [];
    const seen = await this.poll(async () => {
      events = await this.events(target, filter);
      return done(events) ? true : undefined;
    }, withinMs);
    return { events, done: seen.value === true, ms: seen.ms, polls: seen.polls };
  }

  /** The validator for /health bodies, compiled once from the health schema. */
  healthValidator(): ValidateFunction {
    this.#healthValidator ??= new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(
      JSON.parse(readFileSync(this.settings.healthSchemaPath, 'utf8')) as object,
    );
    return this.#healthValidator;
  }
}

/** The most polls {@link SmokeContext.poll} makes in `withinMs` (it backs off from 50 ms to 250 ms): a plan's upper bound. */
export function pollBound(withinMs: number): number {
  return Math.ceil(withinMs / 250) + 4;
}

/** Bodies in evidence are cut short: enough to see what came back, never a flood. */
export function cut(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}


/** Events in time order with offsets from the first, by the service's own clock: the timeline in evidence. */
export function timeline(events: readonly AppEvent[]): { at_ms: number; event: string; level: string; cid: string | null; data?: Record<string, unknown> }[] {
  const ordered = [...events].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  const first = ordered.length > 0 ? Date.parse(ordered[0]!.ts) : 0;
  return ordered.map((event) => ({
    at_ms: Date.parse(event.ts) - first,
    event: event.event,
    level: event.level,
    cid: event.cid,
    ...(Object.keys(event.data ?? {}).length > 0 ? { data: event.data } : {}),
  }));
}
