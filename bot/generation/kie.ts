/**
 * The KIE API client (SPEC §8): createTask and recordInfo, nothing else. Every answer is read
 * defensively — the `code`/`msg`/`data` envelope, `resultJson` as a JSON string — and every
 * problem becomes a KieError saying whether a retry can help.
 */

export type TaskState = 'waiting' | 'queuing' | 'generating' | 'success' | 'fail';

export interface TaskRecord {
  taskId: string;
  state: TaskState;
  resultUrls: string[];
  failMsg: string | null;
}

export class KieError extends Error {
  override readonly name = 'KieError';
  constructor(
    message: string,
    /** True when the same call may succeed later (network, 5xx, rate limit). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface KieClientOptions {
  apiRoot: string;
  apiKey: string;
  timeoutMs?: number;
}

const STATES = new Set<TaskState>(['waiting', 'queuing', 'generating', 'success', 'fail']);

export class KieClient {
  private readonly root: string;

  constructor(private readonly options: KieClientOptions) {
    this.root = options.apiRoot.replace(/\/+$/, '');
  }

  async createTask(model: string, input: Record<string, unknown>, callBackUrl: string | null): Promise<string> {
    const data = await this.call('POST', '/api/v1/jobs/createTask', { model, input, ...(callBackUrl ? { callBackUrl } : {}) });
    const taskId = (data as { taskId?: unknown } | null)?.taskId;
    if (typeof taskId !== 'string' || taskId.length === 0) throw new KieError('createTask answered without data.taskId', false);
    return taskId;
  }

  async recordInfo(taskId: string): Promise<TaskRecord> {
    const data = (await this.call('GET', `/api/v1/jobs/recordInfo?taskId=${encodeURIComponent(taskId)}`)) as Record<string, unknown> | null;
    const state = data?.state;
    if (typeof state !== 'string' || !STATES.has(state as TaskState)) throw new KieError(`recordInfo of ${taskId} has no known data.state (${String(state)})`, true);
    return { taskId, state: state as TaskState, resultUrls: resultUrlsOf(data?.resultJson), failMsg: typeof data?.failMsg === 'string' && data.failMsg ? data.failMsg : null };
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.root}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      throw new KieError(`KIE API unreachable (${method} ${path.split('?')[0]}): ${error instanceof Error ? error.message : String(error)}`, true);
    }
    const text = await response.text();
    let envelope: { code?: unknown; msg?: unknown; data?: unknown };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new KieError(`KIE API answered ${response.status} with a body that is not JSON`, response.status >= 500);
    }
    const code = typeof envelope.code === 'number' ? envelope.code : response.status;
    if (!response.ok || code !== 200) {
      const retryable = response.status >= 500 || response.status === 429 || code >= 500 || code === 429;
      throw new KieError(`KIE API ${method} ${path.split('?')[0]} failed: ${code} ${typeof envelope.msg === 'string' ? envelope.msg : ''}`.trim(), retryable);
    }
    return envelope.data ?? null;
  }
}

function resultUrlsOf(resultJson: unknown): string[] {
  if (typeof resultJson !== 'string' || resultJson.length === 0) return [];
  try {
    const urls = (JSON.parse(resultJson) as { resultUrls?: unknown }).resultUrls;
    return Array.isArray(urls) ? urls.filter((url): url is string => typeof url === 'string') : [];
  } catch {
    return [];
  }
}
