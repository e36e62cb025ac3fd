/**
 * Render's deploys API and deploy hooks: trigger a deploy of a service, find it when Render only
 * queued it, and read its status. Reads (GET) are retried on a network failure, a 5xx or a 429;
 * the trigger (POST) only on a 429, because after a lost answer or a 5xx nobody knows whether a
 * deploy started, and a second one would be worse than stopping. The key and the hook URL never
 * appear in an error.
 *
 * @example
 * ```ts
 * const client = new RenderDeployClient({ apiRoot, apiKey, serviceId });
 * const triggered = await client.trigger();
 * const deploy = triggered.deploy ?? (await client.newest('queued'));
 * await client.close();
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { TrtError } from '../../core/errors.js';
import { secretRedactor } from '../../core/redact.js';
import { describeNetworkError, isKeyRefused, keyRefusedError, renderErrorMessage, retryHint, sendRenderRequest, type RenderAnswer } from './api.js';

/** Statuses a deploy never leaves; only `live` means the new version serves traffic. */
export const TERMINAL_DEPLOY_STATUSES = ['live', 'deactivated', 'build_failed', 'update_failed', 'pre_deploy_failed', 'canceled'] as const;

export function isTerminalDeployStatus(status: string): boolean {
  return (TERMINAL_DEPLOY_STATUSES as readonly string[]).includes(status);
}

export interface RenderDeploySettings {
  /** Like `https://api.render.com/v1`, no trailing slash. */
  apiRoot: string;
  apiKey: string;
  /** One service (srv-…). */
  serviceId: string;
}

/** The fields of Render's deploy object trt reads. */
export interface RenderDeploy {
  id: string;
  status: string;
  commit?: { id?: string; message?: string };
  createdAt?: string;
  updatedAt?: string;
  finishedAt?: string | null;
}

export interface TriggerResult {
  /** 201: Render created the deploy; 202: it queued one behind a deploy in progress and said no more. */
  httpStatus: 201 | 202;
  /** The deploy, for a 201; null for a 202. */
  deploy: RenderDeploy | null;
}

export interface DeployClientOptions {
  /** Deadline of one request; default 15 s. */
  timeoutMs?: number;
  /** Attempts of a read, the first included; default 4. */
  maxAttempts?: number;
  /** First backoff, doubled each attempt; default 500 ms. */
  backoffMs?: number;
}

const HINT_KEY = 'create an API key in the Render Dashboard (Account Settings → API Keys) with access to the service RENDER_SERVICE_ID, and set RENDER_API_KEY to it';
/** A 429 asking for longer than this ends the attempt: a release should not hang on a spent budget. */
const MAX_RETRY_WAIT_MS = 60_000;

export class RenderDeployClient {
  private readonly agent: Agent;
  private readonly redact: (text: string) => string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  /** Requests sent, for the report. */
  requests = 0;

  constructor(
    private readonly settings: RenderDeploySettings,
    options: DeployClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.backoffMs = options.backoffMs ?? 500;
    this.agent = new Agent({ connect: { timeout: Math.min(this.timeoutMs, 10_000) }, keepAliveTimeout: 10_000, connections: 2 });
    this.redact = secretRedactor([settings.apiKey]);
  }

  /** `POST /services/{id}/deploys`: the service's branch as it is now, build cache kept. */
  async trigger(): Promise<TriggerResult> {
    // No commitId: Render turns autodeploy off for a service deployed by commit through the API.
    const answer = await this.send('POST', this.servicePath('/deploys'), { clearCache: 'do_not_clear' }, 'trigger');
    if (answer.status === 201) return { httpStatus: 201, deploy: this.parseDeploy(answer.text, 'the new deploy') };
    if (answer.status === 202) return { httpStatus: 202, deploy: null };
    throw this.unexpected(answer, 'trigger a deploy');
  }

  /** The service's newest deploy, of `status` when given (`queued`: what a 202 left behind); null when there is none. */
  async newest(status?: string): Promise<RenderDeploy | null> {
    const query = status === undefined ? 'limit=1' : `status=${encodeURIComponent(status)}&limit=1`;
    const answer = await this.send('GET', this.servicePath(`/deploys?${query}`), undefined, 'read');
    if (answer.status !== 200) throw this.unexpected(answer, 'list the deploys');
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      throw new TrtError('RENDER_API', `Render's list of deploys is not JSON: ${this.redact(answer.text.slice(0, 200))}`, 'check RENDER_API_ROOT points at the Render API (https://api.render.com/v1)');
    }
    if (!Array.isArray(body)) throw new TrtError('RENDER_API', `Render's list of deploys is not an array: ${this.redact(answer.text.slice(0, 200))}`, 'check RENDER_API_ROOT points at the Render API');
    const first = body[0] as { deploy?: unknown } | undefined;
    return first?.deploy === undefined ? null : this.checkedDeploy(first.deploy, answer.text, 'the newest deploy');
  }

  /** `GET /services/{id}/deploys/{deployId}`. */
  async get(deployId: string): Promise<RenderDeploy> {
    const answer = await this.send('GET', this.servicePath(`/deploys/${encodeURIComponent(deployId)}`), undefined, 'read');
    if (answer.status !== 200) throw this.unexpected(answer, `read the deploy ${deployId}`);
    return this.parseDeploy(answer.text, `the deploy ${deployId}`);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private servicePath(rest: string): string {
    return `${this.settings.apiRoot}/services/${encodeURIComponent(this.settings.serviceId)}${rest}`;
  }

  private async send(method: 'GET' | 'POST', url: string, body: unknown, kind: 'trigger' | 'read'): Promise<RenderAnswer> {
    for (let attempt = 1; ; attempt++) {
      let answer: RenderAnswer;
      try {
        this.requests++;
        answer = await sendRenderRequest(url, { method, apiKey: this.settings.apiKey, body, dispatcher: this.agent, timeoutMs: this.timeoutMs });
      } catch (error) {
        const reason = this.redact(describeNetworkError(error, this.timeoutMs));
        if (kind === 'trigger') {
          throw new TrtError('RENDER_API', `the deploy trigger got no answer from Render (${reason}): a deploy may or may not have started`, 'look at the service’s Events in the Render Dashboard before you run the release again');
        }
        if (attempt >= this.maxAttempts) throw new TrtError('RENDER_API', `cannot reach Render at ${this.redact(new URL(url).origin)}: ${reason} (${attempt} attempts)`, 'check the network and RENDER_API_ROOT');
        await sleep(this.backoff(attempt));
        continue;
      }
      if (isKeyRefused(answer.status)) throw keyRefusedError(answer.status, HINT_KEY);
      if (answer.status === 429 && attempt < this.maxAttempts) {
        const hint = retryHint(answer.headers);
        const waitMs = hint?.ms ?? this.backoff(attempt);
        if (waitMs > MAX_RETRY_WAIT_MS) throw new TrtError('RENDER_API', `Render asks to wait ${(waitMs / 1000).toFixed(0)} s (${hint?.basis ?? 'rate limited'})`, 'run the release again later');
        await sleep(waitMs);
        continue;
      }
      if (answer.status >= 500 && kind === 'read' && attempt < this.maxAttempts) {
        await sleep(this.backoff(attempt));
        continue;
      }
      return answer;
    }
  }

  private unexpected(answer: RenderAnswer, what: string): TrtError {
    const message = this.redact(renderErrorMessage(answer.text));
    if (answer.status === 404) {
      return new TrtError('RENDER_API', `Render found no such service or deploy when trying to ${what}: RENDER_SERVICE_ID=${this.redact(this.settings.serviceId)} (404: ${message})`, 'RENDER_SERVICE_ID is the service id (srv-…) shown in the service’s URL in the Render Dashboard');
    }
    return new TrtError('RENDER_API', `Render answered ${answer.status} when trying to ${what}: ${message}`, answer.status >= 500 ? 'Render may be having trouble: try again later' : 'check RENDER_SERVICE_ID and RENDER_API_ROOT');
  }

  private parseDeploy(text: string, what: string): RenderDeploy {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TrtError('RENDER_API', `Render's answer with ${what} is not JSON: ${this.redact(text.slice(0, 200))}`, 'check RENDER_API_ROOT points at the Render API (https://api.render.com/v1)');
    }
    return this.checkedDeploy(body, text, what);
  }

  private checkedDeploy(value: unknown, text: string, what: string): RenderDeploy {
    const deploy = value as Partial<RenderDeploy> | null;
    if (typeof deploy !== 'object' || deploy === null || typeof deploy.id !== 'string' || typeof deploy.status !== 'string') {
      throw new TrtError('RENDER_API', `Render's answer with ${what} has no deploy id or status: ${this.redact(text.slice(0, 200))}`, 'check RENDER_API_ROOT points at the Render API');
    }
    return deploy as RenderDeploy;
  }

  private backoff(attempt: number): number {
    return this.backoffMs * 2 ** (attempt - 1);
  }
}

export interface DeployHookResult {
  httpStatus: number;
  /** The deploy id when the hook's answer names one (`{ deploy: { id } }`). */
  deployId: string | null;
}

/**
 * Calls a deploy hook (RENDER_DEPLOY_HOOK_URL) once with a POST. The URL is a secret: errors
 * name only that the hook failed, never the URL or its key.
 */
export async function callDeployHook(hookUrl: string, timeoutMs = 15_000): Promise<DeployHookResult> {
  const redact = secretRedactor([hookUrl, ...hookKeys(hookUrl)]);
  let status: number;
  let text: string;
  try {
    const response = await request(hookUrl, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw new TrtError('RENDER_API', `the deploy hook (RENDER_DEPLOY_HOOK_URL) got no answer: ${redact(describeNetworkError(error, timeoutMs))}; a deploy may or may not have started`, 'look at the service’s Events in the Render Dashboard, and check the hook URL');
  }
  if (status < 200 || status >= 300) {
    throw new TrtError('RENDER_API', `the deploy hook (RENDER_DEPLOY_HOOK_URL) answered ${status}: ${redact(renderErrorMessage(text))}`, 'copy the hook URL again from the service’s Settings in the Render Dashboard (Deploy Hook)');
  }
  let deployId: string | null = null;
  try {
    const id = (JSON.parse(text) as { deploy?: { id?: unknown } }).deploy?.id;
    if (typeof id === 'string') deployId = id;
  } catch {
    // A hook that answers without JSON still started a deploy.
  }
  return { httpStatus: status, deployId };
}

/** The values of a hook URL's query parameters (Render's `key=…`): secrets on their own as well. */
export function hookKeys(hookUrl: string): string[] {
  try {
    return [...new URL(hookUrl).searchParams.values()].filter((value) => value !== '');
  } catch {
    return [];
  }
}
