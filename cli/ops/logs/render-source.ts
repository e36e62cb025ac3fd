/**
 * Render's logs API (`GET /v1/logs`) as a client that stays within Render's rate limits.
 *
 * Pages are fetched newest first, following `hasMore`/`nextStartTime`/`nextEndTime` until the
 * window is exhausted or enough lines are kept, then returned oldest first. Pacing: a client-side
 * token bucket (30 requests a minute with a small burst, as Render's logs budget allows); when an
 * answer says `Ratelimit-Remaining: 0`, the next request waits out `Ratelimit-Reset`. A 429 is
 * waited out (`Retry-After`, else `Ratelimit-Reset`, else exponential backoff) with jitter, a 5xx
 * or a network failure is retried with backoff, each a bounded number of times, and every wait
 * is recorded. The key is sent only in the Authorization header and never appears in an error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { TrtError } from '../../core/errors.js';
import { secretRedactor } from '../../core/redact.js';
import type { LogLine, LogWindow } from '../model.js';
import {
  describeNetworkError,
  isKeyRefused,
  keyRefusedError,
  renderApiRoot,
  renderErrorMessage,
  resetMs,
  retryHint,
  sendRenderRequest,
  type RenderAnswer,
} from '../render/api.js';
import { fromRenderLog, type RenderLogWire } from './normalize.js';

/** The most Render returns a page. */
const PAGE_SIZE = 100;

export interface RenderSettings {
  apiRoot: string;
  apiKey: string;
  ownerId: string;
  /** RENDER_SERVICE_ID; several may be given comma-separated. */
  resources: string[];
}

export interface RenderPacing {
  /** Sustained requests a minute. */
  requestsPerMinute: number;
  /** Requests that may go at once before the bucket paces them. */
  burst: number;
  /** Attempts per page, the first included, before giving up. */
  maxAttempts: number;
  /** First backoff when the server gives no hint; doubled for each next attempt. */
  backoffMs: number;
  /** Longest single wait; a server asking for more ends the run with an error instead. */
  maxWaitMs: number;
  /** Deadline of one request. */
  timeoutMs: number;
}

export const DEFAULT_PACING: RenderPacing = { requestsPerMinute: 30, burst: 5, maxAttempts: 5, backoffMs: 1000, maxWaitMs: 60_000, timeoutMs: 15_000 };

export type WaitReason = 'rate-limited' | 'ratelimit-remaining-0' | 'client-pacing' | 'server-error' | 'network';

/** One pause the client made, for the report. */
export interface RenderWait {
  reason: WaitReason;
  ms: number;
  /** What the pause was based on, e.g. `Retry-After: 0.2`. */
  basis: string;
  at: string;
}

export interface RenderFetchOptions {
  settings: RenderSettings;
  window: LogWindow;
  /** Render's `text` filter: a plain substring, sent to narrow the pages. */
  text?: string;
  /** Turns a Render log into the line to keep, or null to drop it; default: keep every line. */
  select?: (line: LogLine) => LogLine | null;
  /** Lines to keep at most (the newest). */
  limit: number;
  pacing?: Partial<RenderPacing>;
  /** Values that must not appear in an error message (the key is always among them). */
  secretValues?: readonly string[];
  /** Told about each wait as it starts, e.g. to tell a person why nothing happens. */
  onWait?: (wait: RenderWait) => void;
}

export interface RenderFetchResult {
  /** Oldest first. */
  lines: LogLine[];
  requests: number;
  rateLimited: number;
  waits: RenderWait[];
  /** True when `limit` lines were kept before the window was exhausted. */
  truncated: boolean;
}

interface RenderPage {
  hasMore: boolean;
  nextStartTime?: string;
  nextEndTime?: string;
  logs: RenderLogWire[];
}

/** RENDER_API_KEY, RENDER_OWNER_ID, RENDER_SERVICE_ID and RENDER_API_ROOT, or a TrtError naming each one missing. */
export function renderSettingsFrom(env: NodeJS.ProcessEnv): RenderSettings {
  const missing = ['RENDER_API_KEY', 'RENDER_OWNER_ID', 'RENDER_SERVICE_ID'].filter((name) => (env[name] ?? '').trim() === '');
  if (missing.length > 0) {
    throw new TrtError(
      'RENDER_CONFIG',
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: trt ops logs --source render needs ${missing.length === 1 ? 'it' : 'them'}`,
      'set RENDER_API_KEY (Render Dashboard → Account Settings → API Keys), RENDER_OWNER_ID (the workspace id, tea-…) and RENDER_SERVICE_ID (srv-…), or read a file with --source file --file PATH',
    );
  }
  return {
    apiRoot: renderApiRoot(env),
    apiKey: env.RENDER_API_KEY!.trim(),
    ownerId: env.RENDER_OWNER_ID!.trim(),
    resources: env.RENDER_SERVICE_ID!.split(',').map((id) => id.trim()).filter((id) => id !== ''),
  };
}

export async function fetchRenderLogs(options: RenderFetchOptions): Promise<RenderFetchResult> {
  const pacing = { ...DEFAULT_PACING, ...options.pacing };
  const client = new RenderLogClient(options, pacing);
  try {
    return await client.fetchAll();
  } finally {
    await client.close();
  }
}

/** Tokens refill at a steady rate up to `burst`; a request takes one or waits for it. */
class TokenBucket {
  private tokens: number;
  private updatedMs = Date.now();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Milliseconds to wait before the next token is there (0: take it now). */
  take(): number {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedMs) * this.perMinute) / 60_000);
    this.updatedMs = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 60_000) / this.perMinute);
  }
}

class RenderLogClient {
  private readonly agent: Agent;
  private readonly bucket: TokenBucket;
  private readonly redact: (text: string) => string;
  private readonly waits: RenderWait[] = [];
  private requests = 0;
  private rateLimited = 0;
  /** Set when the last answer said the server's budget is spent. */
  private serverResetMs: number | null = null;

  constructor(
    private readonly options: RenderFetchOptions,
    private readonly pacing: RenderPacing,
  ) {
    this.agent = new Agent({ connect: { timeout: Math.min(pacing.timeoutMs, 10_000) }, keepAliveTimeout: 10_000, connections: 2 });
    this.bucket = new TokenBucket(pacing.requestsPerMinute, Math.max(1, pacing.burst));
    this.redact = secretRedactor([options.settings.apiKey, ...(options.secretValues ?? [])]);
  }

  async fetchAll(): Promise<RenderFetchResult> {
    const kept: LogLine[] = [];
    let startTime = this.options.window.since;
    let endTime = this.options.window.until;
    let truncated = false;
    for (;;) {
      const page = await this.page(startTime, endTime);
      for (const [index, log] of page.logs.entries()) {
        const line = this.options.select ? this.options.select(fromRenderLog(log)) : fromRenderLog(log);
        if (line) kept.push(line);
        if (kept.length >= this.options.limit) {
          truncated = page.hasMore || index < page.logs.length - 1;
          break;
        }
      }
      if (kept.length >= this.options.limit || !page.hasMore) break;
      if (!page.nextStartTime || !page.nextEndTime || (page.nextStartTime === startTime && page.nextEndTime === endTime)) {
        throw new TrtError(
          'RENDER_API',
          `Render said more logs follow but gave no new window (nextStartTime ${page.nextStartTime ?? 'missing'}, nextEndTime ${page.nextEndTime ?? 'missing'}): stopped after ${this.requests} requests`,
          'narrow the window with --since/--until, or report this answer of Render',
        );
      }
      startTime = page.nextStartTime;
      endTime = page.nextEndTime;
    }
    return { lines: kept.reverse(), requests: this.requests, rateLimited: this.rateLimited, waits: this.waits, truncated };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async page(startTime: string, endTime: string): Promise<RenderPage> {
    const { settings } = this.options;
    const query = new URLSearchParams({ ownerId: settings.ownerId });
    for (const resource of settings.resources) query.append('resource', resource);
    query.set('startTime', startTime);
    query.set('endTime', endTime);
    query.set('direction', 'backward');
    query.set('limit', String(PAGE_SIZE));
    if (this.options.text) query.set('text', this.options.text);
    const url = `${settings.apiRoot}/logs?${query.toString()}`;

    for (let attempt = 1; ; attempt++) {
      await this.pace();
      let answer: RenderAnswer;
      try {
        this.requests++;
        answer = await sendRenderRequest(url, { method: 'GET', apiKey: settings.apiKey, dispatcher: this.agent, timeoutMs: this.pacing.timeoutMs });
      } catch (error) {
        const reason = describeNetworkError(error, this.pacing.timeoutMs);
        if (attempt >= this.pacing.maxAttempts) {
          throw new TrtError('RENDER_API', `cannot reach Render at ${this.redact(new URL(settings.apiRoot).origin)}: ${this.redact(reason)} (${attempt} attempts)`, 'check the network and RENDER_API_ROOT');
        }
        await this.wait('network', this.backoff(attempt), reason);
        continue;
      }
      this.noteServerBudget(answer.headers);
      if (answer.status === 200) return this.parsePage(answer.text);
      if (isKeyRefused(answer.status)) {
        throw keyRefusedError(answer.status, 'create an API key in the Render Dashboard (Account Settings → API Keys) for the workspace RENDER_OWNER_ID belongs to, and set RENDER_API_KEY to it');
      }
      if (answer.status === 429) {
        this.rateLimited++;
        if (attempt >= this.pacing.maxAttempts) {
          throw new TrtError('RENDER_API', `Render kept answering 429 Too Many Requests: gave up after ${attempt} attempts`, 'wait a minute and run again, or narrow the window with --since');
        }
        const hint = retryHint(answer.headers);
        await this.wait('rate-limited', hint?.ms ?? this.backoff(attempt), hint?.basis ?? 'no Retry-After or Ratelimit-Reset: exponential backoff');
        continue;
      }
      const message = this.redact(renderErrorMessage(answer.text));
      if (answer.status >= 500 && attempt < this.pacing.maxAttempts) {
        await this.wait('server-error', this.backoff(attempt), `HTTP ${answer.status}`);
        continue;
      }
      if (answer.status === 404) {
        throw new TrtError(
          'RENDER_API',
          `Render found no logs owner or resource for RENDER_OWNER_ID=${this.redact(settings.ownerId)}, RENDER_SERVICE_ID=${this.redact(settings.resources.join(','))} (404: ${message})`,
          'RENDER_OWNER_ID is the workspace id (tea-…), RENDER_SERVICE_ID the service id (srv-…)',
        );
      }
      if (answer.status === 400) throw new TrtError('RENDER_API', `Render refused the logs query (400): ${message}`, 'check --since/--until and RENDER_OWNER_ID/RENDER_SERVICE_ID');
      throw new TrtError('RENDER_API', `Render answered ${answer.status}: ${message}${answer.status >= 500 ? ` (${attempt} attempts)` : ''}`, 'try again later');
    }
  }

  private parsePage(text: string): RenderPage {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TrtError('RENDER_API', `Render's logs answer is not JSON: ${this.redact(text.slice(0, 200))}`, 'check RENDER_API_ROOT points at the Render API (https://api.render.com/v1)');
    }
    const page = body as Partial<RenderPage>;
    if (typeof page !== 'object' || page === null || !Array.isArray(page.logs) || typeof page.hasMore !== 'boolean') {
      throw new TrtError('RENDER_API', `Render's logs answer has no logs array or hasMore flag: ${this.redact(text.slice(0, 200))}`, 'check RENDER_API_ROOT points at the Render API (https://api.render.com/v1)');
    }
    return page as RenderPage;
  }

  /** Waits for the bucket and for a spent server budget, whichever is longer. */
  private async pace(): Promise<void> {
    const bucketMs = this.bucket.take();
    const serverMs = this.serverResetMs ?? 0;
    this.serverResetMs = null;
    if (serverMs > bucketMs && serverMs > 0) await this.wait('ratelimit-remaining-0', serverMs, 'Ratelimit-Remaining: 0');
    else if (bucketMs > 0) await this.wait('client-pacing', bucketMs, `${this.pacing.requestsPerMinute} requests a minute`);
  }

  private noteServerBudget(headers: Record<string, string>): void {
    if (headers['ratelimit-remaining'] !== '0') return;
    const reset = resetMs(headers['ratelimit-reset']);
    if (reset !== null) this.serverResetMs = reset;
  }

  /** Exponential backoff with jitter: never shorter than half the doubled base. */
  private backoff(attempt: number): number {
    const full = this.pacing.backoffMs * 2 ** (attempt - 1);
    return Math.round(full / 2 + (Math.random() * full) / 2);
  }

  private async wait(reason: WaitReason, baseMs: number, basis: string): Promise<void> {
    // Jitter on top of a server's hint, never under it: clients told the same time spread out.
    const ms = reason === 'rate-limited' || reason === 'ratelimit-remaining-0' ? Math.round(baseMs * (1 + Math.random() * 0.1)) : Math.round(baseMs);
    if (ms > this.pacing.maxWaitMs) {
      throw new TrtError(
        'RENDER_API',
        `Render asks to wait ${(ms / 1000).toFixed(1)} s (${basis}), longer than the ${this.pacing.maxWaitMs / 1000} s trt waits`,
        'run again later, or narrow the window with --since so fewer requests are needed',
      );
    }
    const wait: RenderWait = { reason, ms, basis, at: new Date().toISOString() };
    this.waits.push(wait);
    this.options.onWait?.(wait);
    await sleep(ms);
  }
}
