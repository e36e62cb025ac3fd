import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrtError } from '../../cli/core/errors.js';
import { fetchLogs, type LogSourceOptions } from '../../cli/ops/logs/fetch.js';
import { fromRenderLog, normalizeLevel, stripAnsi } from '../../cli/ops/logs/normalize.js';
import { parseWindow } from '../../cli/ops/logs/window.js';
import { RenderEmulator, type RenderLogInput } from '../../emulators/render/server.js';
import { BIN, FIXTURES, REPO, runTrt, type TrtRun } from '../cli/run.js';

const KEY = 'rnd_Zq8vTn3LkWp5Xr2Yb7Hc4Jd9Mf6Gs1Aa';
const OWNER = 'tea-ops1';
const SERVICE = 'srv-bot1';
const BASE_MS = Date.parse('2026-11-23T10:00:00.000Z');
const NOW = new Date(BASE_MS + 10 * 60_000);
const PINO_LOG = join(FIXTURES, 'ops', 'bot-pino.log');

// Secret-shaped values are put together here so that no file in the repository holds one.
const BOT_TOKEN = `123456789:AAH${'x7Kd2PqR9sLm4NvB8wTz'}${'Y3cF6hJ1gQe5U'}`;
const DB_URL = `postgres://user:${'pass'}@db:5432/x`;
const BEARER = `Bearer ${'abcDEF123456ghiJKL789mno'}`;
const ADMIN_SECRET = 'adm1n-S3cret-value-for-tests';
const PLANTED = [BOT_TOKEN, DB_URL, BEARER, ADMIN_SECRET];
const FORBIDDEN = [BOT_TOKEN, 'user:pass', 'abcDEF123456ghiJKL789mno', ADMIN_SECRET, KEY];

let render: RenderEmulator;
const temporary: string[] = [];

beforeEach(async () => {
  render = await RenderEmulator.start({ apiKey: KEY, ownerId: OWNER, serviceIds: [SERVICE] });
});

afterEach(async () => {
  await render.stop();
});

afterAll(() => {
  for (const directory of temporary.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function renderEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return { RENDER_API_KEY: KEY, RENDER_OWNER_ID: OWNER, RENDER_SERVICE_ID: SERVICE, RENDER_API_ROOT: render.apiRoot, ...overrides };
}

function fromRender(options: Partial<LogSourceOptions> = {}): ReturnType<typeof fetchLogs> {
  return fetchLogs({ source: 'render', since: '5m', env: renderEnv(), now: NOW, secretValues: [], ...options });
}

function tempDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'trt-ops-logs-'));
  temporary.push(directory);
  return directory;
}

/** `count` logs from `fromMs`, three to a millisecond: page edges fall inside a millisecond. */
function logs(count: number, fromMs: number, prefix = 'line'): RenderLogInput[] {
  return Array.from({ length: count }, (_, index) => ({
    timestamp: fromMs + Math.floor(index / 3),
    message: `${prefix} ${String(index).padStart(3, '0')}`,
    resource: SERVICE,
    level: index % 10 === 0 ? 'error' : 'info',
    instance: 'srv-bot1-abc12',
  }));
}

async function refusal(call: Promise<unknown>): Promise<TrtError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof TrtError)) throw new Error(`expected a TrtError, got ${String(error)}`);
  return error;
}

/** The built CLI with `input` on stdin (runTrt gives none). */
function runTrtWithStdin(args: readonly string[], input: string, env: Record<string, string>): Promise<TrtRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Every file under `directory`, concatenated. */
function contentsOf(directory: string): string {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

describe('fetchLogs from Render', () => {
  it('reads a window over three pages completely and in order, and nothing outside it', async () => {
    const windowStart = NOW.getTime() - 5 * 60_000;
    render.addLogs(logs(3, windowStart - 1, 'before'));
    const inside = render.addLogs(logs(250, windowStart));
    render.addLogs(logs(3, NOW.getTime(), 'after'));

    const fetched = await fromRender();
    expect(fetched.lines.map((line) => line.message)).toEqual(inside.map((log) => log.message));
    expect(fetched).toMatchObject({ source: 'render', requests: 3, rateLimited: 0, truncated: false, window: { since: new Date(windowStart).toISOString(), until: NOW.toISOString() } });
    expect(fetched.lines[0]).toEqual({
      ts: new Date(windowStart).toISOString(),
      level: 'error',
      message: 'line 000',
      source: 'render',
      instance: 'srv-bot1-abc12',
      labels: { resource: SERVICE, instance: 'srv-bot1-abc12', level: 'error', type: 'app' },
    });
    const calls = render.calls();
    expect(calls.map((call) => call.status)).toEqual([200, 200, 200]);
    const windows = calls.map((call) => new URL(call.path, render.url).searchParams);
    expect(windows.every((params) => params.get('direction') === 'backward' && params.get('limit') === '100' && params.get('ownerId') === OWNER)).toBe(true);
    expect(windows[1]!.get('endTime')).not.toBe(windows[0]!.get('endTime'));
  });

  it('waits out a 429 for as long as Retry-After says, records it, and loses no page', async () => {
    const inside = render.addLogs(logs(150, NOW.getTime() - 60_000));
    render.injectRateLimit({ times: 1, retryAfterSeconds: 0.3 });
    const announced: string[] = [];
    const fetched = await fromRender({ onWait: (wait) => announced.push(wait.reason) });
    expect(fetched.lines.map((line) => line.message)).toEqual(inside.map((log) => log.message));
    expect(fetched.rateLimited).toBe(1);
    expect(fetched.requests).toBe(3);
    expect(fetched.waits).toHaveLength(1);
    expect(fetched.waits[0]).toMatchObject({ reason: 'rate-limited', basis: 'Retry-After: 0.3' });
    expect(fetched.waits[0]!.ms).toBeGreaterThanOrEqual(300);
    expect(announced).toEqual(['rate-limited']);
    expect(render.calls().map((call) => call.status)).toEqual([429, 200, 200]);
  });

  it('gives up with a clear error after the bounded number of 429s', async () => {
    render.addLogs(logs(5, NOW.getTime() - 60_000));
    render.injectRateLimit({ times: 10, retryAfterSeconds: 0.01 });
    const error = await refusal(fromRender({ pacing: { maxAttempts: 3 } }));
    expect(error.code).toBe('RENDER_API');
    expect(error.message).toBe('Render kept answering 429 Too Many Requests: gave up after 3 attempts');
    expect(render.calls()).toHaveLength(3);
  });

  it('waits for Ratelimit-Reset when Render says the budget is spent, instead of running into a 429', async () => {
    await render.stop();
    render = await RenderEmulator.start({ apiKey: KEY, ownerId: OWNER, serviceIds: [SERVICE], rateLimit: { logs: 2, windowMs: 1000 } });
    const inside = render.addLogs(logs(250, NOW.getTime() - 60_000));
    const fetched = await fromRender();
    expect(fetched.lines).toHaveLength(inside.length);
    expect(fetched.rateLimited).toBe(0);
    expect(fetched.waits.map((wait) => wait.reason)).toEqual(['ratelimit-remaining-0']);
    expect(fetched.waits[0]!.basis).toBe('Ratelimit-Remaining: 0');
    expect(render.calls().map((call) => call.status)).toEqual([200, 200, 200]);
  });

  it('paces itself with a token bucket', async () => {
    render.addLogs(logs(250, NOW.getTime() - 60_000));
    const fetched = await fromRender({ pacing: { requestsPerMinute: 120, burst: 1 } });
    expect(fetched.requests).toBe(3);
    expect(fetched.waits.map((wait) => wait.reason)).toEqual(['client-pacing', 'client-pacing']);
    expect(fetched.waits.every((wait) => wait.ms > 0 && wait.ms <= 500 && wait.basis === '120 requests a minute')).toBe(true);
  });

  it('refuses a wrong key with exit-2 error RENDER_AUTH that does not echo the key', async () => {
    const wrongKey = 'rnd_wrongWrongWrongWrongWrong123';
    const error = await refusal(fromRender({ env: renderEnv({ RENDER_API_KEY: wrongKey }) }));
    expect(error.code).toBe('RENDER_AUTH');
    expect(error.message).toBe('RENDER_API_KEY was refused by Render (401): check the key');
    expect(`${error.message} ${error.hint}`).not.toContain(wrongKey);
  });

  it('names every missing Render variable', async () => {
    const error = await refusal(fetchLogs({ source: 'render', env: { RENDER_API_KEY: KEY }, secretValues: [] }));
    expect(error.code).toBe('RENDER_CONFIG');
    expect(error.message).toContain('RENDER_OWNER_ID, RENDER_SERVICE_ID are not set');
  });

  it('sends a plain --grep as Render’s text filter and matches a regular expression only on its side', async () => {
    const at = NOW.getTime() - 60_000;
    render.addLogs([
      { timestamp: at, message: 'Lost lock to srv-bot1-def34', resource: SERVICE, level: 'warn' },
      { timestamp: at + 1, message: 'heartbeat ok', resource: SERVICE, level: 'info' },
      { timestamp: at + 2, message: 'taking over as ACTIVE', resource: SERVICE, level: 'warn' },
    ]);
    const plain = await fromRender({ grep: 'lost lock' });
    expect(plain.lines.map((line) => line.message)).toEqual(['Lost lock to srv-bot1-def34']);
    expect(new URL(render.calls()[0]!.path, render.url).searchParams.get('text')).toBe('lost lock');
    const regex = await fromRender({ grep: 'lost lock|taking over' });
    expect(regex.lines.map((line) => line.message)).toEqual(['Lost lock to srv-bot1-def34', 'taking over as ACTIVE']);
    expect(new URL(render.calls()[1]!.path, render.url).searchParams.has('text')).toBe(false);
    const warnings = await fromRender({ level: 'warn' });
    expect(warnings.lines.map((line) => line.level)).toEqual(['warn', 'warn']);
  });

  it('redacts planted secrets and the truth’s secret values in every line, labels included', async () => {
    const at = NOW.getTime() - 60_000;
    render.addLogs(PLANTED.map((secret, index) => ({ timestamp: at + index, message: `leak ${index}: ${secret}`, resource: SERVICE, level: 'error', instance: index === 3 ? ADMIN_SECRET : 'i-1' })));
    const fetched = await fromRender({ secretValues: [ADMIN_SECRET] });
    const everything = JSON.stringify(fetched);
    for (const secret of FORBIDDEN) expect(everything).not.toContain(secret);
    expect(fetched.lines.map((line) => line.message)).toEqual([
      'leak 0: [REDACTED]',
      'leak 1: postgres://user:[REDACTED]@db:5432/x',
      'leak 2: Bearer [REDACTED]',
      'leak 3: [REDACTED]',
    ]);
  });
});

describe('normalising', () => {
  it('flattens Render labels, strips ANSI codes, reads a pino line carried in a Render message', () => {
    const build = fromRenderLog({
      id: 'x',
      message: '\u001b[1m\u001b[32m==> Build successful 🎉\u001b[0m',
      timestamp: '2026-11-23T10:00:00.123Z',
      labels: [
        { name: 'resource', value: SERVICE },
        { name: 'type', value: 'build' },
      ],
    });
    expect(build).toEqual({ ts: '2026-11-23T10:00:00.123Z', level: null, message: '==> Build successful 🎉', source: 'render', instance: null, labels: { resource: SERVICE, type: 'build' } });
    const app = fromRenderLog({
      message: '{"level":50,"time":"2026-11-23T10:00:01.000Z","pid":7,"msg":"generation failed","err":{"message":"Do not know how to serialize a BigInt"}}',
      timestamp: '2026-11-23T10:00:01.002Z',
      labels: [
        { name: 'resource', value: SERVICE },
        { name: 'instance', value: 'srv-bot1-abc12' },
        { name: 'level', value: 'info' },
      ],
    });
    expect(app).toMatchObject({ level: 'error', message: 'generation failed: Do not know how to serialize a BigInt', instance: 'srv-bot1-abc12', labels: { pid: '7', resource: SERVICE } });
    expect(stripAnsi('\u001b[31mred\u001b[39m \u001b(Bplain')).toBe('red plain');
    expect([10, 20, 30, 40, 50, 60, 'WARNING', 'Error', '', undefined].map(normalizeLevel)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'warn', 'error', null, null]);
  });

  it('parses --since/--until as durations back from now or RFC 3339 times, and refuses the rest', () => {
    expect(parseWindow('30m', undefined, NOW)).toEqual({ since: '2026-11-23T09:40:00.000Z', until: NOW.toISOString() });
    expect(parseWindow('2h', '1h', NOW)).toEqual({ since: '2026-11-23T08:10:00.000Z', until: '2026-11-23T09:10:00.000Z' });
    expect(parseWindow('2026-11-23T11:00:00+02:00', '2026-11-23T10:05:00Z', NOW).since).toBe('2026-11-23T09:00:00.000Z');
    expect(parseWindow(undefined, undefined, NOW).since).toBe('2026-11-23T09:10:00.000Z');
    for (const [since, until] of [['yesterday', undefined], ['10m', '20m'], ['1d', '2026-13-40T00:00:00Z']] as const) {
      expect(() => parseWindow(since, until, NOW)).toThrow(TrtError);
    }
  });
});

describe('fetchLogs from a file or stdin', () => {
  it('reads the bot’s pino lines and keeps the others as plain messages, dated by the line before', async () => {
    const fetched = await fetchLogs({ source: 'file', file: PINO_LOG, secretValues: [], now: NOW });
    expect(fetched.lines.map((line) => [line.ts.slice(11, 16), line.level, line.instance, line.message])).toEqual([
      ['10:00', 'info', '4242', 'bot started'],
      ['10:02', 'debug', '4242', 'update stored'],
      ['10:05', 'warn', '4242', 'slow handler'],
      ['10:10', 'error', '4242', 'generation failed: function credit_reserve(bigint, text) does not exist'],
      ['10:10', null, null, '    at Object.reserve (bot/billing/ledger.ts:42:11)'],
      ['10:10', null, null, 'npm WARN deprecated package'],
      ['10:20', 'fatal', '4242', 'lost lock: taking over'],
      ['10:30', 'info', '4243', 'standby ready'],
    ]);
    expect(fetched.lines[0]!.labels).toEqual({ pid: '4242', event: 'startup', mode: 'ACTIVE' });
    expect(fetched).toMatchObject({ source: 'file', requests: 0, rateLimited: 0, window: { since: '2026-11-23T10:00:00.000Z', until: '2026-11-23T10:30:00.000Z' } });
  });

  it('keeps to --since/--until, --grep, --level and --limit', async () => {
    const read = (options: Partial<LogSourceOptions>) => fetchLogs({ source: 'file', file: PINO_LOG, secretValues: [], now: NOW, ...options });
    const window = await read({ since: '2026-11-23T10:05:00Z', until: '2026-11-23T10:20:00Z' });
    expect(window.lines.map((line) => line.ts.slice(11, 16))).toEqual(['10:05', '10:10', '10:10', '10:10']);
    expect(window.window).toEqual({ since: '2026-11-23T10:05:00.000Z', until: '2026-11-23T10:20:00.000Z' });
    expect((await read({ grep: 'does not exist|TAKING' })).lines.map((line) => line.level)).toEqual(['error', 'fatal']);
    expect((await read({ level: 'warn' })).lines.map((line) => line.level)).toEqual(['warn', 'error', 'fatal']);
    const newest = await read({ limit: 2 });
    expect(newest.lines.map((line) => line.message)).toEqual(['lost lock: taking over', 'standby ready']);
    expect(newest.truncated).toBe(true);
    expect((await refusal(read({ grep: '(' }))).code).toBe('BAD_FLAG');
    expect((await refusal(read({ level: 'loud' }))).code).toBe('BAD_FLAG');
    expect((await refusal(read({ file: join(tempDir(), 'missing.log') }))).message).toContain('no such file');
  });

  it('reads stdin: pino lines, Render logs as `render logs -o json` prints them, plain lines', async () => {
    const renderLine = JSON.stringify({ id: 'r1', message: '\u001b[32mbuild ok\u001b[0m', timestamp: '2026-11-23T10:00:01.000Z', labels: [{ name: 'resource', value: SERVICE }, { name: 'type', value: 'build' }] });
    const input = Readable.from([`{"level":40,"time":"2026-11-23T10:00:00.000Z","msg":"from a pipe"}\n${renderLine}\nplain tail\n`]);
    const fetched = await fetchLogs({ source: 'stdin', stdin: input, secretValues: [], now: NOW });
    expect(fetched.lines.map((line) => [line.source, line.ts.slice(11, 19), line.level, line.message])).toEqual([
      ['stdin', '10:00:00', 'warn', 'from a pipe'],
      ['stdin', '10:00:01', null, 'build ok'],
      ['stdin', '10:00:01', null, 'plain tail'],
    ]);
    expect(fetched.lines[1]!.labels).toEqual({ resource: SERVICE, type: 'build' });
  });
});

describe('trt ops logs (the built CLI)', () => {
  const common = (artifacts: string) => ['--root', REPO, '--artifacts', artifacts];

  it('prints the Render logs of a window over three pages, one line each, and saves .jsonl and .md', async () => {
    const inside = render.addLogs(logs(230, Date.now() - 10 * 60_000));
    const artifacts = tempDir();
    const result = await runTrt(['ops', 'logs', '--since', '30m', ...common(artifacts)], { env: renderEnv() });
    expect(result.stderr).toContain('230 lines from render');
    expect(result.code).toBe(0);
    const printed = result.stdout.trimEnd().split('\n');
    expect(printed.map((line) => line.split('  ').at(-1))).toEqual(inside.map((log) => log.message));
    expect(printed[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z {2}ERROR {2}srv-bot1-abc12 {2}line 000$/);
    expect(render.calls()).toHaveLength(3);
    const files = readdirSync(artifacts).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^ops-logs-.*\.jsonl$/);
    expect(files[1]).toMatch(/^ops-logs-.*\.md$/);
    const jsonl = readFileSync(join(artifacts, files[0]!), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { message: string });
    expect(jsonl.map((line) => line.message)).toEqual(inside.map((log) => log.message));
    expect(readFileSync(join(artifacts, files[1]!), 'utf8')).toContain('| error | 23 |');
  });

  it('prints one JSON document with --format json, and the 429 it waited out', async () => {
    render.addLogs(logs(20, Date.now() - 60_000));
    render.injectRateLimit({ times: 1, retryAfterSeconds: 0.2 });
    const result = await runTrt(['ops', 'logs', '--format', 'json', '--no-artifacts'], { env: renderEnv() });
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { source: string; requests: number; rateLimited: number; waits: { reason: string; basis: string }[]; lines: unknown[] };
    expect(document).toMatchObject({ source: 'render', requests: 2, rateLimited: 1, waits: [{ reason: 'rate-limited', basis: 'Retry-After: 0.2' }] });
    expect(document.lines).toHaveLength(20);
    expect(result.stderr).toContain('trt: waiting');
  });

  it('exits 2 with a clear message for a wrong key, the key nowhere in the output', async () => {
    const wrongKey = 'rnd_NotTheRightKeyAtAll0987654321';
    const artifacts = tempDir();
    const result = await runTrt(['ops', 'logs', ...common(artifacts)], { env: renderEnv({ RENDER_API_KEY: wrongKey }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('trt: RENDER_API_KEY was refused by Render (401): check the key');
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
    expect(readdirSync(artifacts)).toEqual([]);
  });

  it('exits 2 naming a missing Render variable', async () => {
    const result = await runTrt(['ops', 'logs', '--no-artifacts'], { env: renderEnv({ RENDER_OWNER_ID: '' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('RENDER_OWNER_ID is not set');
  });

  it('lets no planted secret reach stdout, stderr or artifacts/, from Render, a file or stdin, in every format', async () => {
    const at = Date.now() - 60_000;
    render.addLogs(PLANTED.map((secret, index) => ({ timestamp: at + index, message: `\u001b[31mleak ${index}\u001b[0m ${secret}`, resource: SERVICE, level: 'error' })));
    const file = join(tempDir(), 'leaky.log');
    const pino = PLANTED.map((secret, index) => JSON.stringify({ level: 50, time: new Date(at + index).toISOString(), pid: 1, msg: `leak ${index}`, err: { message: `failed with ${secret}` }, url: secret }));
    writeFileSync(file, `${pino.join('\n')}\nplain ${BOT_TOKEN} ${DB_URL}\n`);
    const artifacts = tempDir();
    const env = renderEnv({ ADMIN_SECRET });
    const runs: TrtRun[] = [];
    for (const format of ['text', 'json', 'markdown']) {
      runs.push(await runTrt(['ops', 'logs', '--format', format, ...common(artifacts)], { env }));
      runs.push(await runTrt(['ops', 'logs', '--source', 'file', '--file', file, '--format', format, ...common(artifacts)], { env }));
      runs.push(await runTrtWithStdin(['ops', 'logs', '--source', '-', '--format', format, ...common(artifacts)], readFileSync(file, 'utf8'), env));
    }
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const everything = [...runs.map((run) => run.stdout + run.stderr), contentsOf(artifacts)].join('\n');
    expect(readdirSync(artifacts)).toHaveLength(18);
    expect(everything).toContain('[REDACTED]');
    expect(everything).toContain('leak 3');
    for (const secret of FORBIDDEN) expect(everything).not.toContain(secret);
  });

  it('reads --source file and --source - (stdin) with --since, --grep and --level', async () => {
    const artifacts = tempDir();
    const fromFile = await runTrt(['ops', 'logs', '--source', 'file', '--file', PINO_LOG, '--since', '2026-11-23T10:04:00Z', '--until', '2026-11-23T10:25:00Z', '--grep', 'exist|lock', ...common(artifacts)]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toBe(
      [
        '2026-11-23T10:10:00.000Z  ERROR  4242  generation failed: function credit_reserve(bigint, text) does not exist',
        '2026-11-23T10:20:00.000Z  FATAL  4242  lost lock: taking over',
        '',
      ].join('\n'),
    );
    const fromStdin = await runTrtWithStdin(['ops', 'logs', '--source', '-', '--level', 'error', '--format', 'json', '--no-artifacts'], readFileSync(PINO_LOG, 'utf8'), {});
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    const document = JSON.parse(fromStdin.stdout) as { source: string; lines: { source: string; level: string }[] };
    expect(document.source).toBe('stdin');
    expect(document.lines.map((line) => [line.source, line.level])).toEqual([
      ['stdin', 'error'],
      ['stdin', 'fatal'],
    ]);
    const badFlag = await runTrt(['ops', 'logs', '--source', 'file', '--no-artifacts']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--source file needs --file PATH');
  });
});
