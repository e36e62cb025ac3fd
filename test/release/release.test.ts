/**
 * Issue 7 checks 2 and 3 with the in-memory double of the bot (test/support/fake-bot.ts) as the
 * smoke target, the Render API emulator for the deploy and its logs for the watch, and a real git
 * repository in a temporary folder: --dry-run plans and sends nothing; the full path (202 queued)
 * deploys, watches, tags and reports; a P0 line during the watch, a failing smoke, a failed build,
 * a deploy timeout, a dirty tree and a taken tag each stop the release where they should; a deploy
 * hook is confirmed on /health and never printed. The real bot runs the full path in
 * real-bot.test.ts.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GateResult, ReleaseReport } from '../../cli/release/model.js';
import { RenderEmulator } from '../../emulators/render/server.js';
import { BIN, runTrt, type TrtRun } from '../cli/run.js';
import { eventually } from '../support/bot.js';
import { createFakeState, startFakeBot, type FakeBot } from '../support/fake-bot.js';
import {
  git,
  head,
  ledger,
  logLine,
  makeRepo,
  OWNER,
  parseReport,
  releaseReportValidator,
  removeRepos,
  RENDER_KEY,
  renderEnv,
  reportFile,
  SERVICE,
  tags,
  today,
  whenLive,
} from './support.js';

const WEBHOOK_SECRET = 'fake-webhook-secret-release-0123';
const ADMIN_SECRET = 'fake-admin-secret-release-0123';

let active: FakeBot;
let passive: FakeBot;
let render: RenderEmulator;

beforeAll(async () => {
  const shared = createFakeState();
  active = await startFakeBot({ mode: 'ACTIVE', webhookSecret: WEBHOOK_SECRET, adminSecret: ADMIN_SECRET, shared });
  passive = await startFakeBot({ mode: 'PASSIVE', webhookSecret: WEBHOOK_SECRET, adminSecret: ADMIN_SECRET, shared });
});

afterAll(async () => {
  await active?.close();
  await passive?.close();
  removeRepos();
});

beforeEach(async () => {
  render = await RenderEmulator.start({ apiKey: RENDER_KEY, ownerId: OWNER, serviceIds: [SERVICE] });
});

afterEach(async () => {
  await render.stop();
});

function release(repo: string, args: readonly string[], env: Record<string, string> = {}): Promise<TrtRun> {
  return runTrt(['release', '--root', repo, ...args], { env: { WEBHOOK_SECRET, ADMIN_SECRET, ...renderEnv(render), ...env } });
}

const smokeTargets = () => ['--url', active.url, '--passive-url', passive.url];
const gate = (report: ReleaseReport, name: GateResult['name']) => report.gates.find((candidate) => candidate.name === name)!;
const statuses = (report: ReleaseReport) => report.gates.map((candidate) => `${candidate.name}:${candidate.status}`);

describe('--dry-run', () => {
  it('prints every step with what it would call and its targets, and runs, sends and writes nothing', async () => {
    const repo = makeRepo();
    const inboxBefore = active.state.inbox.length;
    const run = await release(repo, [...smokeTargets(), '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    const steps = run.stdout.split('\n').filter((line) => /^\d\. /.test(line));
    expect(steps.map((line) => line.split(' ')[1])).toEqual(['verify', 'test', 'smoke', 'deploy', 'watch', 'tag']);
    expect(run.stdout).toContain('run `node -e 0` through the shell');
    expect(run.stdout).toContain(`POST ${render.apiRoot}/services/${SERVICE}/deploys`);
    expect(run.stdout).toContain(`git tag -a stable-${today()}-1 ${head(repo).slice(0, 12)}`);
    expect(run.stdout).toMatch(/target: P0\/P1 pattern matches = 0 \(json-serialization, takeover-loop\)/);
    expect(run.stdout).toContain('ready: every step can run');

    expect(render.calls()).toEqual([]);
    expect(active.state.inbox.length).toBe(inboxBefore);
    expect(tags(repo)).toEqual([]);
    expect(existsSync(join(repo, 'artifacts'))).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(RENDER_KEY);
  });

  it('names what is missing for each step and exits 2', async () => {
    const repo = makeRepo();
    const run = await release(repo, ['--dry-run', '--format', 'json'], { RENDER_API_KEY: '', RENDER_OWNER_ID: '', RENDER_SERVICE_ID: '' });
    expect(run.code).toBe(2);
    const plan = JSON.parse(run.stdout) as { ready: boolean; problems: string[] };
    expect(plan.ready).toBe(false);
    expect(plan.problems).toEqual([
      expect.stringMatching(/^smoke: --url is not given/),
      expect.stringMatching(/^deploy: RENDER_API_KEY and RENDER_SERVICE_ID are not set, nor RENDER_DEPLOY_HOOK_URL/),
      expect.stringMatching(/^watch: RENDER_API_KEY, RENDER_OWNER_ID, RENDER_SERVICE_ID are not set/),
    ]);
    expect(render.calls()).toEqual([]);
  });
});

describe('the full path', () => {
  it('verify → test → smoke → deploy (202 queued) → live → watch → tag, with the report, the ledger line and the next free {n}', async () => {
    const repo = makeRepo();
    git(repo, 'tag', `stable-${today()}-1`);
    render.setDeployBehaviour({ mode: 'queue', stepDelayMs: 100 });
    const logsDuringWatch = whenLive(render, () => render.addLogs([logLine('trt-bot started'), logLine('webhook set')]));
    const run = await release(repo, [...smokeTargets(), '--watch', '3s', '--format', 'json']);
    await logsDuringWatch;
    const report = parseReport(run.stdout, run.stderr);
    expect(statuses(report), run.stderr).toEqual(['verify:pass', 'test:pass', 'smoke:pass', 'deploy:pass', 'watch:pass', 'tag:pass']);
    expect(run.code).toBe(0);
    expect(report).toMatchObject({ outcome: 'released', clean: true, commit: head(repo), tag: `stable-${today()}-2` });

    const validate = releaseReportValidator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    for (const item of report.gates) expect(item.metrics.filter((metric) => metric.violated), item.name).toEqual([]);
    expect(gate(report, 'verify').metrics[0]).toMatchObject({ name: 'verify errors', measured: 0, target: '= 0' });
    expect(gate(report, 'smoke').metrics[0]).toMatchObject({ name: 'failed scenarios', measured: 0 });

    const deploy = gate(report, 'deploy');
    expect(deploy.evidence).toMatchObject({ via: 'api', triggerStatus: 202, foundBy: expect.stringContaining('status=queued') });
    expect((deploy.evidence.statuses as { status: string }[]).map((step) => step.status)).toContain('live');
    expect(deploy.metrics[0]).toMatchObject({ name: 'deploy status', measured: 'live', target: 'live', violated: false });
    const calls = render.calls().map((call) => `${call.method} ${call.path.split('?')[0]} ${call.status}`);
    expect(calls[0]).toBe(`POST /v1/services/${SERVICE}/deploys 202`);
    expect(render.calls()[1]!.path).toBe(`/v1/services/${SERVICE}/deploys?status=queued&limit=1`);

    const watch = gate(report, 'watch');
    expect(watch.evidence.linesSeen).toBe(2);
    expect(watch.evidence.matches).toEqual([]);
    expect(watch.metrics.map((metric) => metric.name)).toEqual(['P0/P1 log pattern matches', 'minutes watched']);

    expect(tags(repo)).toEqual([`stable-${today()}-1`, `stable-${today()}-2`]);
    expect(git(repo, 'cat-file', '-t', `stable-${today()}-2`).trim()).toBe('tag');
    const message = git(repo, 'tag', '-l', '--format=%(contents)', `stable-${today()}-2`);
    expect(message).toContain(`trt release ${report.id}`);
    expect(message).toContain(`report: artifacts/${report.id}.json`);
    expect(git(repo, 'rev-list', '-n', '1', `stable-${today()}-2`).trim()).toBe(head(repo));

    expect(JSON.parse(reportFile(repo, report, 'json'))).toEqual(report);
    expect(reportFile(repo, report, 'md')).toContain(`# trt release ${report.id}: released (clean)`);
    expect(ledger(repo)).toEqual([report]);
    for (const text of [run.stdout, run.stderr, reportFile(repo, report, 'md'), reportFile(repo, report, 'json')]) {
      for (const secret of [RENDER_KEY, WEBHOOK_SECRET, ADMIN_SECRET]) expect(text).not.toContain(secret);
    }

    const status = await runTrt(['release', 'status', '--root', repo]);
    expect(status.stdout.trim()).toBe('not done: 1 of 5 (every release so far was clean)');
    expect(status.code).toBe(1);
  }, 120_000);

  it('prints one progress line per gate in text format', async () => {
    const repo = makeRepo();
    const run = await release(repo, [...smokeTargets(), '--watch', '1s']);
    expect(run.code, run.stderr).toBe(0);
    const gateLines = run.stdout.split('\n').filter((line) => /^[✓✗–] /.test(line));
    expect(gateLines.map((line) => line.split(/\s+/)[1])).toEqual(['verify', 'test', 'smoke', 'deploy', 'watch', 'tag']);
    expect(gateLines.every((line) => line.startsWith('✓'))).toBe(true);
    expect(run.stdout).toMatch(new RegExp(`released [0-9a-f]{12} \\(tagged stable-${today()}-1\\) in .*: clean`));
  }, 120_000);
});

describe('a failing gate stops the release: nothing after it runs', () => {
  it('a P0 pattern in the logs during the watch fails the watch at once: no tag, exit 1, and the report says when', async () => {
    const repo = makeRepo();
    // Timestamped when the deploy is live: a line from before it belongs to the old version, outside the window.
    let p0 = logLine('');
    const planted = whenLive(render, () => {
      p0 = logLine('TypeError: Do not know how to serialize a BigInt', 'error');
      render.addLogs([logLine('trt-bot started'), p0]);
    });
    const run = await release(repo, [...smokeTargets(), '--watch', '5m', '--format', 'json']);
    await planted;
    const report = parseReport(run.stdout, run.stderr);
    expect(statuses(report), run.stderr).toEqual(['verify:pass', 'test:pass', 'smoke:pass', 'deploy:pass', 'watch:fail', 'tag:skip']);
    expect(run.code).toBe(1);
    expect(report).toMatchObject({ outcome: 'failed', clean: false, tag: null });
    const watch = gate(report, 'watch');
    expect(watch.reason).toContain(`P0 json-serialization ×1 in the logs (first at ${p0.timestamp})`);
    expect(watch.metrics[0]).toMatchObject({ name: 'P0/P1 log pattern matches', measured: 1, target: '= 0', violated: true });
    expect(watch.metrics[1]).toMatchObject({ name: 'minutes watched', violated: true });
    expect(watch.evidence.matches).toEqual([
      { id: 'json-serialization', priority: 'P0', count: 1, firstSeen: p0.timestamp, lastSeen: p0.timestamp, samples: [expect.stringContaining('Do not know how to serialize a BigInt')] },
    ]);
    // It stopped on the match, not at the end of the five minutes.
    const window = watch.evidence.window as { until: string; plannedUntil: string };
    expect(Date.parse(window.until)).toBeLessThan(Date.parse(window.plannedUntil));
    expect(gate(report, 'tag').reason).toBe('not run: watch failed before it');
    expect(tags(repo)).toEqual([]);
    expect(ledger(repo)).toEqual([report]);
  }, 120_000);

  it('a failing smoke (the double answers /health with 500): exit 1, and no call reaches the Render emulator', async () => {
    const repo = makeRepo();
    const broken = await startFakeBot({ mode: 'ACTIVE', webhookSecret: WEBHOOK_SECRET, adminSecret: ADMIN_SECRET, faults: ['health-500'] });
    try {
      const run = await release(repo, ['--url', broken.url, '--watch', '1s', '--format', 'json']);
      const report = parseReport(run.stdout, run.stderr);
      expect(statuses(report)).toEqual(['verify:pass', 'test:pass', 'smoke:fail', 'deploy:skip', 'watch:skip', 'tag:skip']);
      expect(run.code).toBe(1);
      expect(gate(report, 'smoke').reason).toMatch(/S0: GET \/health answered 500/);
      expect(gate(report, 'smoke').metrics[0]).toMatchObject({ name: 'failed scenarios', violated: true });
      expect(gate(report, 'deploy').reason).toBe('not run: smoke failed before it');
      expect(render.calls()).toEqual([]);
      expect(render.deploys()).toEqual([]);
      expect(tags(repo)).toEqual([]);
    } finally {
      await broken.close();
    }
  }, 120_000);

  it('a deploy that ends build_failed fails the deploy gate with that status; the logs are not read and nothing is tagged', async () => {
    const repo = makeRepo();
    render.setDeployBehaviour({ stepDelayMs: 50, finalStatus: 'build_failed' });
    const run = await release(repo, [...smokeTargets(), '--watch', '1s', '--format', 'json']);
    const report = parseReport(run.stdout, run.stderr);
    expect(statuses(report)).toEqual(['verify:pass', 'test:pass', 'smoke:pass', 'deploy:fail', 'watch:skip', 'tag:skip']);
    expect(run.code).toBe(1);
    const deploy = gate(report, 'deploy');
    expect(deploy.reason).toMatch(/^deploy dep-[0-9a-f]+ ended build_failed$/);
    expect(deploy.metrics[0]).toMatchObject({ name: 'deploy status', measured: 'build_failed', target: 'live', violated: true });
    expect(render.calls().filter((call) => call.path.startsWith('/v1/logs'))).toEqual([]);
    expect(tags(repo)).toEqual([]);
  }, 120_000);

  it('a deploy still building at --deploy-timeout fails the gate', async () => {
    const repo = makeRepo();
    render.setDeployBehaviour({ stepDelayMs: 600_000 });
    const run = await release(repo, [...smokeTargets(), '--skip', 'smoke', '--deploy-timeout', '1s', '--format', 'json']);
    const report = parseReport(run.stdout, run.stderr);
    expect(run.code).toBe(1);
    expect(gate(report, 'deploy').reason).toMatch(/^deploy dep-[0-9a-f]+ was still created after 1s \(--deploy-timeout\)$/);
    expect(gate(report, 'deploy').metrics[1]).toMatchObject({ name: 'deploy duration ms', violated: true });
  }, 120_000);
});

describe('Ctrl-C', () => {
  it('during the watch: exit 130, the watch fails as interrupted, nothing is tagged, and the report and ledger line are still written', async () => {
    const repo = makeRepo();
    const child = spawn(process.execPath, [BIN, 'release', '--root', repo, ...smokeTargets(), '--watch', '5m', '--format', 'json'], {
      env: { ...process.env, WEBHOOK_SECRET, ADMIN_SECRET, ...renderEnv(render) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually('the watch reading the logs', async () => (render.calls().some((call) => call.path.startsWith('/v1/logs')) ? true : undefined), 60_000);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    const report = parseReport(stdout, stderr);
    expect(statuses(report)).toEqual(['verify:pass', 'test:pass', 'smoke:pass', 'deploy:pass', 'watch:fail', 'tag:skip']);
    expect(report).toMatchObject({ outcome: 'aborted', clean: false, tag: null });
    expect(gate(report, 'watch').reason).toBe('interrupted: SIGINT');
    expect(gate(report, 'tag').reason).toBe('not run: the release was interrupted (SIGINT)');
    expect(tags(repo)).toEqual([]);
    expect(ledger(repo)).toEqual([report]);
    expect(releaseReportValidator()(report)).toBe(true);
  }, 120_000);
});

describe('refused before any gate runs (exit 2): nothing is checked, deployed or tagged', () => {
  it('a working tree with uncommitted changes', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'src', 'unreviewed.ts'), 'export const x = 1;\n');
    const run = await release(repo, [...smokeTargets(), '--watch', '1s']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('trt release cannot start: 1 problem');
    expect(run.stderr).toMatch(/tag: the working tree has 1 uncommitted change \(\?\? src\/unreviewed\.ts\)/);
    expect(render.calls()).toEqual([]);
    expect(existsSync(join(repo, 'artifacts'))).toBe(false);
  });

  it('a tag name that exists already (a format without {n})', async () => {
    const repo = makeRepo((truth) => {
      truth.release!.tag_format = 'stable-{yyyymmdd}';
    });
    git(repo, 'tag', `stable-${today()}`);
    const run = await release(repo, [...smokeTargets(), '--watch', '1s']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`tag: the tag stable-${today()} exists already`);
    expect(render.calls()).toEqual([]);
  });

  it('not a git repository, and an unknown --skip step', async () => {
    const notRepo = makeRepo();
    rmSync(join(notRepo, '.git'), { recursive: true, force: true });
    const run = await release(notRepo, [...smokeTargets()], { GIT_CEILING_DIRECTORIES: join(notRepo, '..') });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/git: .* is not inside a git work tree/);

    const skip = await release(makeRepo(), [...smokeTargets(), '--skip', 'deploy,canary']);
    expect(skip.code).toBe(2);
    expect(skip.stderr).toContain('--skip: canary is not a step of release.steps');
    expect(render.calls()).toEqual([]);
  });
});

describe('a deploy hook (RENDER_DEPLOY_HOOK_URL)', () => {
  let server: Server;
  let hookCalls = 0;
  let version = '1.0.0';

  beforeAll(async () => {
    server = createServer((request, response) => {
      const reply = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (request.method === 'POST' && request.url?.startsWith('/deploy/')) {
        hookCalls++;
        // The new version serves a moment after the hook, as Render's deploy would.
        setTimeout(() => (version = '1.0.1'), 300);
        reply({ deploy: { id: 'dep-hook0001' } });
      } else reply({ status: 'ok', version, uptime_s: 86_400 });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is called once, the new version is confirmed on --url’s /health, and the hook URL and its key appear nowhere', async () => {
    const repo = makeRepo();
    const hookKey = 'hookKey-Zx81Qa72Ws63';
    const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deploy/${SERVICE}?key=${hookKey}`;
    const run = await release(repo, ['--url', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '--skip', 'smoke,watch', '--format', 'json'], {
      RENDER_API_KEY: '',
      RENDER_SERVICE_ID: '',
      RENDER_DEPLOY_HOOK_URL: hookUrl,
    });
    const report = parseReport(run.stdout, run.stderr);
    expect(statuses(report), run.stderr).toEqual(['verify:pass', 'test:pass', 'smoke:skip', 'deploy:pass', 'watch:skip', 'tag:pass']);
    expect(run.code).toBe(0);
    expect(report).toMatchObject({ outcome: 'released', clean: false });
    expect(gate(report, 'smoke').reason).toBe('skipped with --skip');
    expect(hookCalls).toBe(1);
    const deploy = gate(report, 'deploy');
    expect(deploy.evidence).toMatchObject({ via: 'deploy hook (RENDER_DEPLOY_HOOK_URL, redacted)', hookStatus: 200, hookDeployId: 'dep-hook0001', confirmedBy: 'version changed from 1.0.0 to 1.0.1' });
    expect(deploy.reason).toMatch(/^version changed from 1\.0\.0 to 1\.0\.1 on http:\/\/127\.0\.0\.1:\d+\/health after /);
    const files = readdirSync(join(repo, 'artifacts')).map((name) => readFileSync(join(repo, 'artifacts', name), 'utf8'));
    for (const text of [run.stdout, run.stderr, ...files]) {
      expect(text).not.toContain(hookKey);
      expect(text).not.toContain('/deploy/');
    }
    expect(render.calls()).toEqual([]);
  }, 120_000);
});
