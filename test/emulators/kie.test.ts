import { createHmac } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallbackError, KieEmulator, type KieTask } from '../../emulators/kie/server.js';

const KEY = 'kie-test-key';
const PROMPT = 'a red fox in the snow, <b>bold</b> & "quoted"';
const STATES = ['waiting', 'queuing', 'generating', 'success', 'fail'];

let kie: KieEmulator;
const closers: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  kie = await KieEmulator.start({ apiKey: KEY });
});

afterEach(async () => {
  await kie.stop();
  while (closers.length > 0) await closers.pop()!();
});

interface Answer {
  status: number;
  body: any;
}

async function api(path: string, options: { method?: 'GET' | 'POST'; body?: unknown; raw?: string; contentType?: string; key?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const hasBody = options.body !== undefined || options.raw !== undefined;
  if (hasBody) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${kie.apiRoot}${path}`, {
    method: options.method ?? (hasBody ? 'POST' : 'GET'),
    headers,
    ...(hasBody ? { body: options.raw ?? JSON.stringify(options.body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}

function createTask(body: unknown, key?: string | null): Promise<Answer> {
  return api('/api/v1/jobs/createTask', { method: 'POST', body, key });
}

function recordInfo(taskId: string, key?: string | null): Promise<Answer> {
  return api(`/api/v1/jobs/recordInfo?taskId=${encodeURIComponent(taskId)}`, { key });
}

async function created(body: unknown): Promise<string> {
  const answer = await createTask(body);
  expect(answer.body.code).toBe(200);
  return answer.body.data.taskId as string;
}

async function control(path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${kie.apiRoot}/__emulator/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** The bot's side of callbacks: records every POST and answers `status`. */
async function startReceiver(status = 200): Promise<{ url: string; received: Received[]; app: FastifyInstance }> {
  const received: Received[] = [];
  const app = Fastify();
  app.post('/kie-callback', async (request, reply) => {
    received.push({ headers: request.headers, body: request.body });
    return reply.code(status).send({ received: true });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/kie-callback?generation=7&sig=abc`, received, app };
}

/** A URL nothing listens on: a server that was started and closed. */
async function deadUrl(): Promise<string> {
  const app = Fastify();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  await app.close();
  return `http://127.0.0.1:${port}/kie-callback`;
}

/** Polls recordInfo like the bot does, until the task has finished; returns every data seen. */
async function pollToTheEnd(taskId: string): Promise<any[]> {
  const seen: any[] = [];
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const answer = await recordInfo(taskId);
    expect(answer).toMatchObject({ status: 200, body: { code: 200, msg: 'success' } });
    seen.push(answer.body.data);
    if (answer.body.data.state === 'success' || answer.body.data.state === 'fail') return seen;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`task ${taskId} did not finish; states seen: ${seen.map((data) => data.state).join(', ')}`);
}

function finished(taskId: string, callbacks = 0): Promise<KieTask> {
  return kie.waitForTask((task) => task.taskId === taskId && (task.state === 'success' || task.state === 'fail') && task.callbacks.length >= callbacks);
}

async function refusal(call: Promise<unknown>): Promise<CallbackError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof CallbackError)) throw new Error(`expected a CallbackError, got ${String(error)}`);
  return error;
}

/** The chunks of a PNG, each checked against its CRC. */
function pngChunks(bytes: Buffer): { type: string; data: Buffer }[] {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const typeAndData = bytes.subarray(offset + 4, offset + 8 + length);
    expect(bytes.readUInt32BE(offset + 8 + length)).toBe(crc32(typeAndData));
    chunks.push({ type: typeAndData.subarray(0, 4).toString('ascii'), data: typeAndData.subarray(4) });
    offset += 12 + length;
  }
  return chunks;
}

describe('start', () => {
  it('refuses a missing key and an invalid default behaviour', async () => {
    await expect(KieEmulator.start({ apiKey: '' })).rejects.toThrow(/apiKey must be a non-empty string/);
    await expect(KieEmulator.start({ apiKey: KEY, defaultBehaviour: { delayMs: -5 } })).rejects.toThrow(/delayMs must be an integer from 0/);
  });

  it('gives the bot an API root on a free port', () => {
    expect(kie.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('a task that succeeds', () => {
  it('goes waiting → queuing → generating → success, then calls back with the real body', async () => {
    const receiver = await startReceiver();
    kie.queueBehaviour({ delayMs: 400 });
    const request = { model: 'google/nano-banana', callBackUrl: receiver.url, input: { prompt: PROMPT, output_format: 'png', image_size: '1:1' } };

    const answer = await createTask(request);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ code: 200, msg: 'success', data: { taskId: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    const taskId = answer.body.data.taskId as string;

    const seen = await pollToTheEnd(taskId);
    const order = seen.map((data) => STATES.indexOf(data.state));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const data of seen.filter((item) => item.state !== 'success')) {
      expect(data).toMatchObject({ resultJson: null, failCode: '', failMsg: '', completeTime: null, costTime: null });
    }

    const record = seen.at(-1);
    expect(record).toEqual({
      taskId,
      model: 'google/nano-banana',
      state: 'success',
      param: expect.any(String),
      resultJson: JSON.stringify({ resultUrls: [`${kie.apiRoot}/files/${taskId}.png`] }),
      failCode: '',
      failMsg: '',
      costTime: record.completeTime - record.createTime,
      completeTime: expect.any(Number),
      createTime: expect.any(Number),
      updateTime: record.completeTime,
    });
    expect(JSON.parse(record.param)).toEqual(request);
    expect(record.costTime).toBeGreaterThanOrEqual(0);

    const task = await finished(taskId, 1);
    expect(task.history.map((step) => step.state)).toEqual(['waiting', 'queuing', 'generating', 'success']);
    expect(task).toMatchObject({ model: 'google/nano-banana', input: request.input, callBackUrl: receiver.url, resultUrls: [`${kie.apiRoot}/files/${taskId}.png`], failMsg: null });
    expect(task.callbacks).toEqual([{ status: 200, error: null, at: expect.any(String) }]);

    expect(receiver.received).toHaveLength(1);
    const callback = receiver.received[0]!;
    expect(callback.headers['content-type']).toMatch(/^application\/json/);
    expect(callback.headers['x-webhook-signature']).toBeUndefined();
    expect(callback.body).toEqual({
      code: 200,
      msg: 'Playground task completed successfully.',
      data: {
        completeTime: record.completeTime,
        consumeCredits: expect.any(Number),
        costTime: record.costTime,
        createTime: record.createTime,
        model: 'google/nano-banana',
        param: record.param,
        remainedCredits: expect.any(Number),
        resultJson: record.resultJson,
        state: 'success',
        taskId,
        updateTime: record.updateTime,
      },
    });
  });

  it('serves the result as a valid PNG, a different colour per task, without a key', async () => {
    const first = await created({ model: 'm', input: { prompt: 'one' } });
    const second = await created({ model: 'm', input: { prompt: 'two' } });
    const pixels: Buffer[] = [];
    for (const taskId of [first, second]) {
      const [url] = (await finished(taskId)).resultUrls;
      const response = await fetch(url!);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      const chunks = pngChunks(Buffer.from(await response.arrayBuffer()));
      expect(chunks.map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
      const header = chunks[0]!.data;
      expect({ width: header.readUInt32BE(0), height: header.readUInt32BE(4), depth: header[8], colour: header[9] }).toEqual({ width: 8, height: 8, depth: 8, colour: 2 });
      const raw = inflateSync(chunks[1]!.data);
      expect(raw.length).toBe(8 * (1 + 8 * 3));
      pixels.push(raw.subarray(1, 4));
    }
    expect(pixels[0]!.equals(pixels[1]!)).toBe(false);
  });

  it('has no file for an unknown name or a task that did not succeed', async () => {
    kie.queueBehaviour({ outcome: 'fail' });
    const failed = await created({ model: 'm', input: { prompt: 'p' } });
    await finished(failed);
    for (const name of [`${failed}.png`, `${'0'.repeat(32)}.png`, 'passwd']) {
      const response = await fetch(`${kie.apiRoot}/files/${name}`);
      expect(response.status).toBe(404);
      expect(await response.text()).toMatch(/^Not Found: no result file/);
    }
  });
});

describe('a task that fails', () => {
  it('reports failCode and failMsg in recordInfo and calls back with code 501', async () => {
    const receiver = await startReceiver();
    kie.queueBehaviour({ outcome: 'fail', failMsg: 'NSFW content detected', delayMs: 40 });
    const taskId = await created({ model: 'google/nano-banana', callBackUrl: receiver.url, input: { prompt: PROMPT } });

    const record = (await pollToTheEnd(taskId)).at(-1);
    expect(record).toMatchObject({ taskId, state: 'fail', resultJson: null, failCode: '500', failMsg: 'NSFW content detected' });
    expect(record.costTime).toBe(record.completeTime - record.createTime);

    const task = await finished(taskId, 1);
    expect(task).toMatchObject({ state: 'fail', resultUrls: [], failMsg: 'NSFW content detected' });
    expect(task.history.map((step) => step.state)).toEqual(['waiting', 'queuing', 'generating', 'fail']);
    expect(receiver.received[0]!.body).toEqual({
      code: 501,
      msg: 'Playground task failed.',
      data: {
        completeTime: record.completeTime,
        consumeCredits: 0,
        costTime: record.costTime,
        createTime: record.createTime,
        failCode: '500',
        failMsg: 'NSFW content detected',
        model: 'google/nano-banana',
        param: record.param,
        remainedCredits: expect.any(Number),
        state: 'fail',
        taskId,
        updateTime: record.updateTime,
      },
    });
  });

  it('says "Internal server error" when no failMsg was given, as KIE does', async () => {
    kie.queueBehaviour({ outcome: 'fail' });
    const taskId = await created({ model: 'm', input: { prompt: 'p' } });
    await finished(taskId);
    expect((await recordInfo(taskId)).body.data).toMatchObject({ state: 'fail', failCode: '500', failMsg: 'Internal server error' });
  });
});

describe('behaviours', () => {
  it('callback: false finishes the task without calling back, so only polling sees it', async () => {
    const receiver = await startReceiver();
    kie.queueBehaviour({ callback: false });
    const silent = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'silent' } });
    expect((await pollToTheEnd(silent)).at(-1).state).toBe('success');
    // A later task's callback arriving alone shows the earlier one never sent its own.
    const loud = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'loud' } });
    await finished(loud, 1);
    expect(receiver.received.map((callback) => callback.body.data.taskId)).toEqual([loud]);
    expect(kie.task(silent)!.callbacks).toEqual([]);
  });

  it('neverFinish leaves the task generating: no result, no callback', async () => {
    const receiver = await startReceiver();
    kie.queueBehaviour({ neverFinish: true, delayMs: 20 });
    const stuck = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'stuck' } });
    await kie.waitForTask((task) => task.taskId === stuck && task.state === 'generating');
    const later = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'later' } });
    await finished(later, 1);

    expect((await recordInfo(stuck)).body.data).toMatchObject({ state: 'generating', resultJson: null, completeTime: null, costTime: null });
    expect(kie.task(stuck)!.history.map((step) => step.state)).toEqual(['waiting', 'queuing', 'generating']);
    expect(receiver.received.map((callback) => callback.body.data.taskId)).toEqual([later]);
    expect((await refusal(kie.sendCallback(stuck))).reason).toBe('not-finished');
  });

  it('applies queued behaviours first in first out, then the default again', async () => {
    kie.queueBehaviour({ outcome: 'fail', failMsg: 'first' });
    kie.queueBehaviour({ callback: false, delayMs: 10 });
    const ids: string[] = [];
    for (const prompt of ['a', 'b', 'c']) ids.push(await created({ model: 'm', input: { prompt } }));
    const tasks = await Promise.all(ids.map((id) => finished(id)));
    expect(tasks.map((task) => task.behaviour)).toEqual([
      { outcome: 'fail', delayMs: 0, callback: true, failMsg: 'first' },
      { outcome: 'success', delayMs: 10, callback: false },
      { outcome: 'success', delayMs: 0, callback: true },
    ]);
    expect(tasks.map((task) => task.state)).toEqual(['fail', 'success', 'success']);
  });

  it('sets the default, which reset() returns to the one given at start', async () => {
    const configured = await KieEmulator.start({ apiKey: KEY, defaultBehaviour: { delayMs: 5, failMsg: undefined } });
    closers.push(() => configured.stop());
    configured.setDefaultBehaviour({ outcome: 'fail' });
    configured.queueBehaviour({ outcome: 'success' });
    configured.reset();
    const response = await fetch(`${configured.apiRoot}/api/v1/jobs/createTask`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', input: { prompt: 'p' } }),
    });
    const { data } = (await response.json()) as { data: { taskId: string } };
    expect(configured.task(data.taskId)!.behaviour).toEqual({ outcome: 'success', delayMs: 5, callback: true });

    kie.setDefaultBehaviour({ outcome: 'fail', failMsg: 'down for maintenance' });
    const failing = await created({ model: 'm', input: { prompt: 'p' } });
    expect(await finished(failing)).toMatchObject({ state: 'fail', failMsg: 'down for maintenance' });
  });

  it('names every problem of an invalid behaviour', () => {
    expect(() => kie.queueBehaviour({ outcome: 'maybe', delayMs: 1.5, callback: 'yes', failMsg: '', colour: 'red' } as never)).toThrow(
      /unknown field "colour".*outcome must be "success" or "fail".*delayMs must be an integer.*callback must be true or false.*failMsg must be a non-empty string/,
    );
    expect(() => kie.setDefaultBehaviour(null as never)).toThrow(/expected an object/);
  });
});

describe('refusals in KIE envelopes (HTTP 200, the status in code)', () => {
  it('refuses a missing or wrong key, creating nothing', async () => {
    const unauthorized = { status: 200, body: { code: 401, msg: 'You do not have access permissions' } };
    expect(await createTask({ model: 'm', input: { prompt: 'p' } }, null)).toEqual(unauthorized);
    expect(await createTask({ model: 'm', input: { prompt: 'p' } }, 'wrong-key')).toEqual(unauthorized);
    expect(await recordInfo('anything', null)).toEqual(unauthorized);
    const basic = await fetch(`${kie.apiRoot}/api/v1/jobs/recordInfo?taskId=x`, { headers: { authorization: `Basic ${KEY}` } });
    expect(await basic.json()).toEqual(unauthorized.body);
    expect(kie.tasks()).toEqual([]);
  });

  it('checks the key before the body', async () => {
    expect((await api('/api/v1/jobs/createTask', { raw: '{not json', key: 'wrong' })).body.code).toBe(401);
  });

  it('answers 422 for a body without model, input or prompt, or with a bad callBackUrl', async () => {
    const cases: [unknown, string | RegExp][] = [
      [{ input: { prompt: 'p' } }, 'model is required'],
      [{ model: '  ', input: { prompt: 'p' } }, 'model is required'],
      [{ model: 'm' }, 'input is required'],
      [{ model: 'm', input: 'a fox' }, 'input is required'],
      [{ model: 'm', input: {} }, 'input.prompt is required'],
      [{ model: 'm', input: { prompt: '' } }, 'input.prompt is required'],
      [{ model: 'm', input: { prompt: 'p' }, callBackUrl: 'ftp://example.com/cb' }, /^callBackUrl must be an http\(s\) URL/],
      [{ model: 'm', input: { prompt: 'p' }, callBackUrl: 42 }, /^callBackUrl must be an http\(s\) URL/],
      [['model', 'm'], /^the request body must be a JSON object like/],
    ];
    for (const [body, msg] of cases) {
      const answer = await createTask(body);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ code: 422, msg: expect.anything(), data: null });
      expect(answer.body.msg).toMatch(msg);
    }
    expect((await api('/api/v1/jobs/createTask', { raw: '{"model":' })).body).toMatchObject({ code: 422, msg: expect.stringMatching(/^the body is not valid JSON/) });
    expect((await api('/api/v1/jobs/createTask', { raw: 'model=m', contentType: 'application/x-www-form-urlencoded' })).body).toMatchObject({
      code: 422,
      msg: expect.stringMatching(/unsupported Content-Type "application\/x-www-form-urlencoded"/),
    });
    expect(kie.tasks()).toEqual([]);
  });

  it('accepts a task without callBackUrl (polling only)', async () => {
    const taskId = await created({ model: 'm', input: { prompt: 'p' }, callBackUrl: '' });
    expect(await finished(taskId)).toMatchObject({ state: 'success', callBackUrl: null, callbacks: [] });
    expect((await refusal(kie.sendCallback(taskId))).reason).toBe('no-callback-url');
  });

  it('answers recordInfo for an unknown task and without a taskId as KIE does', async () => {
    expect(await recordInfo('0123456789abcdef0123456789abcdef')).toEqual({ status: 200, body: { code: 422, msg: 'recordInfo is null', data: null } });
    expect((await api('/api/v1/jobs/recordInfo')).body).toEqual({ code: 400, msg: 'taskId parameter is required', data: null });
  });

  it('answers an unknown path with 404', async () => {
    expect(await api('/api/v1/jobs/cancelTask', { body: {} })).toEqual({ status: 404, body: { code: 404, msg: 'Not Found', data: null } });
  });
});

describe('sendCallback', () => {
  it('sends the same callback again, as often as asked, and records each attempt', async () => {
    const receiver = await startReceiver();
    const taskId = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'p' } });
    await finished(taskId, 1);
    for (let i = 0; i < 3; i += 1) expect(await kie.sendCallback(taskId)).toEqual({ status: 200 });
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((callback) => JSON.stringify(callback.body))).size).toBe(1);
    expect(kie.task(taskId)!.callbacks.map((attempt) => attempt.status)).toEqual([200, 200, 200, 200]);
  });

  it('returns whatever status the bot answered and records an unreachable URL', async () => {
    const refusing = await startReceiver(503);
    const taskId = await created({ model: 'm', callBackUrl: refusing.url, input: { prompt: 'p' } });
    expect((await finished(taskId, 1)).callbacks[0]).toMatchObject({ status: 503, error: null });
    expect(await kie.sendCallback(taskId)).toEqual({ status: 503 });

    const unreachable = await created({ model: 'm', callBackUrl: await deadUrl(), input: { prompt: 'p' } });
    expect((await finished(unreachable, 1)).callbacks[0]).toMatchObject({ status: null, error: 'Connection refused' });
    const error = await refusal(kie.sendCallback(unreachable));
    expect(error.reason).toBe('unreachable');
    expect(error.message).toMatch(/could not call back .*: Connection refused/);
  });

  it('refuses an unknown task', async () => {
    const error = await refusal(kie.sendCallback('nope'));
    expect(error.reason).toBe('unknown-task');
    expect(error.message).toMatch(/no task "nope".*tasks: none/);
  });

  it('signs callbacks like KIE when a webhook HMAC key is set', async () => {
    const signing = await KieEmulator.start({ apiKey: KEY, webhookHmacKey: 'hmac-secret' });
    closers.push(() => signing.stop());
    const receiver = await startReceiver();
    const response = await fetch(`${signing.apiRoot}/api/v1/jobs/createTask`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'p' } }),
    });
    const { data } = (await response.json()) as { data: { taskId: string } };
    await signing.waitForTask((task) => task.callbacks.length === 1);

    const { headers } = receiver.received[0]!;
    const timestamp = Number(headers['x-webhook-timestamp']);
    expect(Number.isInteger(timestamp)).toBe(true);
    const expected = createHmac('sha256', 'hmac-secret').update(`${data.taskId}.${timestamp}`).digest('base64');
    expect(headers['x-webhook-signature']).toBe(expected);
  });
});

describe('sendRawCallback', () => {
  it('posts any body, unsigned, for forged-callback tests', async () => {
    const receiver = await startReceiver(401);
    const forged = { code: 200, msg: 'Playground task completed successfully.', data: { taskId: 'forged', state: 'success' } };
    expect(await kie.sendRawCallback(receiver.url, forged)).toEqual({ status: 401 });
    expect(receiver.received).toEqual([{ headers: expect.not.objectContaining({ 'x-webhook-signature': expect.anything() }), body: forged }]);
  });

  it('refuses a URL that is not http(s) and reports an unreachable one', async () => {
    await expect(kie.sendRawCallback('file:///etc/passwd', {})).rejects.toThrow(/must be an http\(s\) URL/);
    expect((await refusal(kie.sendRawCallback(await deadUrl(), {}))).reason).toBe('unreachable');
  });
});

describe('waitForTask, calls and stop', () => {
  it('rejects on timeout listing the tasks, and when the predicate throws', async () => {
    kie.queueBehaviour({ neverFinish: true });
    const taskId = await created({ model: 'm', input: { prompt: 'p' } });
    await expect(kie.waitForTask((task) => task.state === 'success', 50)).rejects.toThrow(new RegExp(`no matching KIE task within 50 ms; tasks: ${taskId}: `));
    await expect(
      kie.waitForTask(() => {
        throw new Error('predicate broke');
      }),
    ).rejects.toThrow('predicate broke');
  });

  it('records API calls and downloads with HTTP status and envelope code, not control calls', async () => {
    const taskId = await created({ model: 'm', input: { prompt: 'p' } });
    await recordInfo('unknown');
    await createTask({ model: 'm', input: { prompt: 'p' } }, 'wrong');
    const [url] = (await finished(taskId)).resultUrls;
    await (await fetch(url!)).arrayBuffer();
    await control('tasks');
    expect(kie.calls()).toEqual([
      { method: 'POST', path: '/api/v1/jobs/createTask', at: expect.any(String), status: 200, code: 200 },
      { method: 'GET', path: '/api/v1/jobs/recordInfo?taskId=unknown', at: expect.any(String), status: 200, code: 422 },
      { method: 'POST', path: '/api/v1/jobs/createTask', at: expect.any(String), status: 200, code: 401 },
      { method: 'GET', path: `/files/${taskId}.png`, at: expect.any(String), status: 200, code: null },
    ]);
  });

  it('rejects pending waiters when it stops', async () => {
    const pending = kie.waitForTask(() => false, 10_000);
    await kie.stop();
    await expect(pending).rejects.toThrow(/stopped before a matching task appeared/);
  });
});

describe('control endpoints', () => {
  it('lists tasks and calls', async () => {
    const taskId = await created({ model: 'm', input: { prompt: 'p' } });
    await finished(taskId);
    const tasks = await control('tasks');
    expect(tasks.status).toBe(200);
    expect(tasks.body.tasks).toEqual([expect.objectContaining({ taskId, state: 'success', model: 'm' })]);
    expect((await control('calls')).body.calls).toEqual([expect.objectContaining({ path: '/api/v1/jobs/createTask', code: 200 })]);
  });

  it('queues behaviours and sets the default, refusing bad ones with every problem named', async () => {
    expect(await control('behaviour', { outcome: 'fail', failMsg: 'queued' })).toEqual({ status: 200, body: { ok: true, queued: 1 } });
    expect(await control('default-behaviour', { delayMs: 15 })).toEqual({
      status: 200,
      body: { ok: true, defaultBehaviour: { outcome: 'success', delayMs: 15, callback: true } },
    });
    const first = await created({ model: 'm', input: { prompt: 'p' } });
    const second = await created({ model: 'm', input: { prompt: 'p' } });
    expect(await finished(first)).toMatchObject({ state: 'fail', failMsg: 'queued', behaviour: { delayMs: 15 } });
    expect(await finished(second)).toMatchObject({ state: 'success', behaviour: { delayMs: 15 } });

    const invalid = await control('behaviour', { outcome: 'later', delayMs: -1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/^invalid behaviour: outcome must be "success" or "fail".*; delayMs must be an integer/);
    expect((await control('default-behaviour', '{oops')).body.error).toMatch(/^invalid behaviour: the body is not valid JSON/);
    expect((await control('behaviour', '[]')).status).toBe(400);
  });

  it('resends a callback, answering 404 for an unknown task and 409 for an unfinished one', async () => {
    const receiver = await startReceiver();
    const done = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'p' } });
    await finished(done, 1);
    expect(await control(`tasks/${done}/callback`, {})).toEqual({ status: 200, body: { status: 200 } });
    expect(receiver.received).toHaveLength(2);

    expect((await control('tasks/nope/callback', {})).status).toBe(404);
    kie.queueBehaviour({ neverFinish: true });
    const stuck = await created({ model: 'm', callBackUrl: receiver.url, input: { prompt: 'p' } });
    const conflict = await control(`tasks/${stuck}/callback`, {});
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatch(/KIE calls back only when a task has finished/);
  });

  it('resets, and names the real endpoints for an unknown one', async () => {
    kie.queueBehaviour({ outcome: 'fail' });
    await created({ model: 'm', input: { prompt: 'p' } });
    expect(await control('reset', {})).toEqual({ status: 200, body: { ok: true } });
    expect(kie.tasks()).toEqual([]);
    expect(kie.calls()).toEqual([]);
    const after = await created({ model: 'm', input: { prompt: 'p' } });
    expect(await finished(after)).toMatchObject({ state: 'success' });

    const unknown = await control('faults', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/unknown control endpoint POST \/__emulator\/faults; available: GET \/__emulator\/tasks/);
  });
});
