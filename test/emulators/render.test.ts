import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RenderEmulator, type RenderLog, type RenderLogInput } from '../../emulators/render/server.js';

const KEY = 'rnd_test_key_0123456789';
const OWNER = 'tea-owner1';
const SERVICE = 'srv-bot1';
const BASE_MS = Date.parse('2026-11-23T10:00:00.000Z');

let render: RenderEmulator;

beforeEach(async () => {
  render = await RenderEmulator.start({ apiKey: KEY, ownerId: OWNER, serviceIds: [SERVICE] });
});

afterEach(async () => {
  await render.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function api(path: string, options: { method?: 'GET' | 'POST'; body?: unknown; key?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${render.apiRoot}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) };
}

async function control(path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${render.url}/__emulator/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

function logsPath(params: Record<string, string | number | string[]>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries({ ownerId: OWNER, resource: SERVICE, ...params })) {
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  return `/logs?${search.toString()}`;
}

/** `count` logs, three to a millisecond, so page edges fall between logs of the same timestamp. */
function sameMillisecondTriples(count: number): RenderLogInput[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `log-${String(index).padStart(2, '0')}`,
    timestamp: new Date(BASE_MS + Math.floor(index / 3)).toISOString(),
    message: `line ${index}`,
    resource: SERVICE,
    level: 'info',
    instance: 'srv-bot1-abc12',
  }));
}

/** Follows hasMore/nextStartTime/nextEndTime as a client does; returns every page. */
async function allPages(first: Record<string, string | number>): Promise<{ pages: RenderLog[][]; hasMore: boolean[] }> {
  const pages: RenderLog[][] = [];
  const hasMore: boolean[] = [];
  let params = first;
  for (let guard = 0; guard < 50; guard++) {
    const answer = await api(logsPath(params));
    expect(answer.status).toBe(200);
    pages.push(answer.body.logs);
    hasMore.push(answer.body.hasMore);
    if (!answer.body.hasMore) return { pages, hasMore };
    params = { ...params, startTime: answer.body.nextStartTime, endTime: answer.body.nextEndTime };
  }
  throw new Error('paging did not end');
}

const WINDOW = { startTime: new Date(BASE_MS - 1000).toISOString(), endTime: new Date(BASE_MS + 60_000).toISOString() };

describe('GET /v1/logs', () => {
  it('pages backward, newest first, over four pages whose edges split logs of the same millisecond', async () => {
    const added = render.addLogs(sameMillisecondTriples(25));
    const { pages, hasMore } = await allPages({ ...WINDOW, limit: 7, direction: 'backward' });
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 4]);
    expect(hasMore).toEqual([true, true, true, false]);
    expect(pages.flat().map((log) => log.id)).toEqual(added.map((log) => log.id).reverse());
  });

  it('pages forward, oldest first, and ends without an empty page when the logs fill the last page exactly', async () => {
    const added = render.addLogs(sameMillisecondTriples(21));
    const { pages, hasMore } = await allPages({ ...WINDOW, limit: 7, direction: 'forward' });
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7]);
    expect(hasMore).toEqual([true, true, false]);
    expect(pages.flat().map((log) => log.id)).toEqual(added.map((log) => log.id));
  });

  it('hands out page bounds with nanosecond digits between logs of the same millisecond', async () => {
    render.addLogs(sameMillisecondTriples(6));
    const answer = await api(logsPath({ ...WINDOW, limit: 2, direction: 'backward' }));
    expect(answer.body).toMatchObject({ hasMore: true, nextStartTime: '2026-11-23T09:59:59.000000000Z', nextEndTime: '2026-11-23T10:00:00.001000001Z' });
    expect(answer.body.logs.map((log: RenderLog) => log.id)).toEqual(['log-05', 'log-04']);
  });

  it('answers Render’s log shape: id, message as given (ANSI kept), timestamp with ms, labels as name/value pairs', async () => {
    render.addLogs([
      { id: 'b1', timestamp: '2026-11-23T10:00:00.5Z', message: '\u001b[32m==> Build successful\u001b[0m', resource: SERVICE, type: 'build' },
      { id: 'a1', timestamp: BASE_MS + 1000, message: 'hello', resource: SERVICE, level: 'info', instance: 'srv-bot1-abc12' },
    ]);
    const answer = await api(logsPath({ ...WINDOW, direction: 'forward' }));
    expect(answer.body).toEqual({
      hasMore: false,
      nextStartTime: '2026-11-23T10:00:01.000000001Z',
      nextEndTime: '2026-11-23T10:01:00.000000000Z',
      logs: [
        { id: 'b1', message: '\u001b[32m==> Build successful\u001b[0m', timestamp: '2026-11-23T10:00:00.500Z', labels: [{ name: 'resource', value: SERVICE }, { name: 'type', value: 'build' }] },
        {
          id: 'a1',
          message: 'hello',
          timestamp: '2026-11-23T10:00:01.000Z',
          labels: [
            { name: 'resource', value: SERVICE },
            { name: 'instance', value: 'srv-bot1-abc12' },
            { name: 'level', value: 'info' },
            { name: 'type', value: 'app' },
          ],
        },
      ],
    });
  });

  it('keeps to the window: startTime inclusive, endTime exclusive, RFC 3339 or Unix seconds', async () => {
    render.addLogs([0, 1000, 2000, 3000].map((offset) => ({ id: `t${offset}`, timestamp: BASE_MS + offset, message: 'tick', resource: SERVICE })));
    const rfc = await api(logsPath({ startTime: new Date(BASE_MS + 1000).toISOString(), endTime: new Date(BASE_MS + 3000).toISOString() }));
    expect(rfc.body.logs.map((log: RenderLog) => log.id)).toEqual(['t2000', 't1000']);
    const unix = await api(logsPath({ startTime: String(BASE_MS / 1000 + 1), endTime: String(BASE_MS / 1000 + 3), direction: 'forward' }));
    expect(unix.body.logs.map((log: RenderLog) => log.id)).toEqual(['t1000', 't2000']);
    const offset = await api(logsPath({ startTime: '2026-11-23T12:00:02+02:00', endTime: '2026-11-23T12:00:10+02:00' }));
    expect(offset.body.logs.map((log: RenderLog) => log.id)).toEqual(['t3000', 't2000']);
  });

  it('filters by level and type (exact, any of the repeated values), text (substring, any case) and resource', async () => {
    render.addLogs([
      { id: 'i', timestamp: BASE_MS, message: 'user 7 started', resource: SERVICE, level: 'info' },
      { id: 'w', timestamp: BASE_MS + 1, message: 'Slow handler', resource: SERVICE, level: 'warn' },
      { id: 'e', timestamp: BASE_MS + 2, message: 'query failed: error: function credit_reserve(bigint) does not exist', resource: SERVICE, level: 'error' },
      { id: 'b', timestamp: BASE_MS + 3, message: 'npm ERR! build failed', resource: SERVICE, type: 'build' },
      { id: 'x', timestamp: BASE_MS + 4, message: 'other service error', resource: 'srv-other', level: 'error' },
    ]);
    const ids = async (params: Record<string, string | string[]>) => (await api(logsPath({ ...WINDOW, direction: 'forward', ...params }))).body.logs.map((log: RenderLog) => log.id);
    expect(await ids({ level: 'error' })).toEqual(['e']);
    expect(await ids({ level: ['warn', 'error'] })).toEqual(['w', 'e']);
    expect(await ids({ type: 'build' })).toEqual(['b']);
    expect(await ids({ text: 'ERR' })).toEqual(['e', 'b']);
    expect(await ids({ text: ['slow', 'started'] })).toEqual(['i', 'w']);
    expect(await ids({ level: 'error', text: 'exist' })).toEqual(['e']);
    expect(await ids({ resource: [SERVICE, 'srv-other'], level: 'error' })).toEqual(['e', 'x']);
  });

  it('refuses bad queries with Render’s error shape', async () => {
    const cases: [string, string][] = [
      [`/logs?resource=${SERVICE}`, 'ownerId is required'],
      [`/logs?ownerId=${OWNER}`, 'resource is required'],
      [logsPath({ limit: 0 }), 'limit must be an integer from 1 to 100'],
      [logsPath({ limit: 101 }), 'limit must be an integer from 1 to 100'],
      [logsPath({ direction: 'sideways' }), 'direction must be forward or backward'],
      [logsPath({ startTime: 'yesterday' }), 'startTime must be an RFC 3339 time or Unix seconds'],
      [logsPath({ startTime: '2026-11-23T11:00:00Z', endTime: '2026-11-23T10:00:00Z' }), 'startTime must not be after endTime'],
    ];
    for (const [path, message] of cases) {
      const answer = await api(path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.id).toBe('bad_request');
      expect(answer.body.message).toContain(message);
    }
    const unknownOwner = await api(logsPath({ ownerId: 'tea-nobody' }));
    expect(unknownOwner).toMatchObject({ status: 404, body: { id: 'not_found' } });
  });
});

describe('auth and rate limits', () => {
  it('answers 401 to a missing or wrong key, with the rate-limit headers, without spending the budget', async () => {
    for (const key of [null, 'rnd_wrong']) {
      const answer = await api(logsPath({}), { key });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ id: 'unauthorized', message: 'unauthorized' });
      expect(answer.headers.get('ratelimit-remaining')).toBe('30');
    }
    const deploy = await api(`/services/${SERVICE}/deploys`, { key: 'rnd_wrong', body: {} });
    expect(deploy.status).toBe(401);
    expect(render.deploys()).toEqual([]);
  });

  it('puts Ratelimit-Limit, -Remaining and -Reset on every answer and refuses the request over the budget with Retry-After', async () => {
    await render.stop();
    render = await RenderEmulator.start({ apiKey: KEY, ownerId: OWNER, serviceIds: [SERVICE], rateLimit: { logs: 3, windowMs: 60_000 } });
    const remaining: (string | null)[] = [];
    for (let request = 0; request < 3; request++) {
      const answer = await api(logsPath({}));
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-limit')).toBe('3');
      const reset = Number(answer.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
      remaining.push(answer.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await api(logsPath({}));
    expect(refused.status).toBe(429);
    expect(refused.body.id).toBe('too_many_requests');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The deploy endpoints count against their own budget.
    expect((await api(`/services/${SERVICE}/deploys`)).status).toBe(200);
  });

  it('injects 429s with a fractional Retry-After for the next N log requests, then answers again', async () => {
    render.injectRateLimit({ times: 2, retryAfterSeconds: 0.2 });
    const first = await api(logsPath({}));
    const second = await api(logsPath({}));
    for (const answer of [first, second]) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('0.2');
      expect(answer.headers.get('ratelimit-limit')).toBe('30');
      expect(answer.headers.get('ratelimit-reset')).not.toBeNull();
    }
    expect((await api(logsPath({}))).status).toBe(200);
    expect(render.calls().map((call) => call.status)).toEqual([429, 429, 200]);
  });

  it('takes faults, logs and resets from other processes through the control endpoints', async () => {
    expect(await control('rate-limit-fault', { times: 1, retryAfterSeconds: 0.05 })).toEqual({ status: 200, body: { ok: true } });
    expect((await api(logsPath({}))).status).toBe(429);
    const bad = await control('rate-limit-fault', { times: 0, scope: 'everything', colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('times must be an integer ≥ 1');
    expect(bad.body.error).toContain('scope must be "logs" or "other"');
    expect(bad.body.error).toContain('unknown field "colour"');

    const added = await control('logs', { logs: [{ timestamp: '2026-11-23T10:00:00.000Z', message: 'from elsewhere', resource: SERVICE, level: 'warn' }] });
    expect(added.status).toBe(200);
    expect(added.body.added[0]).toMatchObject({ message: 'from elsewhere', timestamp: '2026-11-23T10:00:00.000Z' });
    const invalid = await control('logs', { logs: [{ message: 5 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toContain('logs[0]: timestamp must be');
    expect(invalid.body.error).toContain('resource must be a non-empty string');
    expect((await control('logs')).body.logs).toHaveLength(1);

    expect((await control('calls')).body.calls.map((call: { path: string; status: number }) => call.status)).toEqual([429]);
    expect(await control('reset', {})).toEqual({ status: 200, body: { ok: true } });
    expect(render.logs()).toEqual([]);
    expect(render.calls()).toEqual([]);
    expect((await control('nothing-here')).status).toBe(404);
  });
});

describe('deploys', () => {
  async function waitForStatus(deployId: string, done: (status: string) => boolean): Promise<string[]> {
    const seen: string[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const answer = await api(`/services/${SERVICE}/deploys/${deployId}`);
      expect(answer.status).toBe(200);
      if (seen.at(-1) !== answer.body.status) seen.push(answer.body.status);
      if (done(answer.body.status)) return seen;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`deploy ${deployId} did not finish; statuses seen: ${seen.join(', ')}`);
  }

  it('answers a trigger 201 with the created deploy, which then goes build → update → live', async () => {
    render.setDeployBehaviour({ stepDelayMs: 40 });
    const created = await api(`/services/${SERVICE}/deploys`, { body: { clearCache: 'clear', commitId: 'a1b2c3d' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ commit: { id: 'a1b2c3d' }, status: 'created', trigger: 'api', finishedAt: null });
    expect(created.body.id).toMatch(/^dep-[0-9a-f]{20}$/);
    const seen = await waitForStatus(created.body.id, (status) => status === 'live');
    const path = ['created', 'build_in_progress', 'update_in_progress', 'live'];
    expect(seen.every((status, index) => index === 0 || path.indexOf(status) > path.indexOf(seen[index - 1]!))).toBe(true);
    const live = await api(`/services/${SERVICE}/deploys/${created.body.id}`);
    expect(live.body.finishedAt).not.toBeNull();
    expect(Date.parse(live.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(live.body.createdAt));

    const next = await api(`/services/${SERVICE}/deploys`, { body: {} });
    await waitForStatus(next.body.id, (status) => status === 'live');
    expect((await api(`/services/${SERVICE}/deploys/${created.body.id}`)).body.status).toBe('deactivated');
  });

  it('in queue mode answers 202 with no body; the deploy is found as queued, then ends in the configured failure', async () => {
    render.setDeployBehaviour({ mode: 'queue', stepDelayMs: 1000, finalStatus: 'build_failed' });
    const queued = await api(`/services/${SERVICE}/deploys`, { body: { commitId: 'feedbee' } });
    expect(queued.status).toBe(202);
    expect(queued.text).toBe('');
    const listed = await api(`/services/${SERVICE}/deploys?status=queued&limit=1`);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({ deploy: { status: 'queued', commit: { id: 'feedbee' }, trigger: 'api' }, cursor: expect.any(String) });
    const seen = await waitForStatus(listed.body[0].deploy.id, (status) => status === 'build_failed');
    expect(seen.at(-1)).toBe('build_failed');
    expect(seen).not.toContain('live');
  });

  it('lists newest first with cursors and refuses unknown services, deploys, statuses and bodies', async () => {
    render.setDeployBehaviour({ stepDelayMs: 60_000 });
    const ids: string[] = [];
    for (let count = 0; count < 3; count++) ids.push((await api(`/services/${SERVICE}/deploys`, { body: {} })).body.id);
    const first = await api(`/services/${SERVICE}/deploys?limit=2`);
    expect(first.body.map((item: { deploy: { id: string } }) => item.deploy.id)).toEqual([ids[2], ids[1]]);
    const rest = await api(`/services/${SERVICE}/deploys?limit=2&cursor=${first.body[1].cursor}`);
    expect(rest.body.map((item: { deploy: { id: string } }) => item.deploy.id)).toEqual([ids[0]]);
    expect(render.deploys().map((deploy) => deploy.serviceId)).toEqual([SERVICE, SERVICE, SERVICE]);

    expect(await api('/services/srv-nope/deploys', { body: {} })).toMatchObject({ status: 404, body: { id: 'not_found' } });
    expect(await api(`/services/${SERVICE}/deploys/dep-nope`)).toMatchObject({ status: 404, body: { id: 'not_found', message: 'deploy dep-nope not found' } });
    expect(await api(`/services/${SERVICE}/deploys?status=exploded`)).toMatchObject({ status: 400, body: { id: 'bad_request' } });
    expect(await api(`/services/${SERVICE}/deploys`, { body: { clearCache: 'yes' } })).toMatchObject({ status: 400, body: { id: 'bad_request' } });
    expect((await control('deploy-behaviour', { finalStatus: 'exploded' })).status).toBe(400);
    expect(await control('deploy-behaviour', { finalStatus: 'canceled' })).toMatchObject({ status: 200, body: { deployBehaviour: { finalStatus: 'canceled', mode: 'created' } } });
  });
});
