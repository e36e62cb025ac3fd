/**
 * Issue 7 check 1: `trt demo` on the repository itself — embedded PostgreSQL, the emulators, two
 * bots, verify, smoke S0–S8, ops snapshot — exits 0 with the summary printed and
 * certification.md written, and leaves nothing behind: no process of the run (each carries the
 * run's marker in its environment, S8's bot included; PostgreSQL's backends overwrite theirs with
 * their process title, and the server they belong to exits only after them), no port that
 * accepts a connection, no temporary folder. The same holds after a Ctrl-C halfway.
 *
 * The built CLI runs as a child process with --artifacts in a temporary folder, so the test
 * writes nothing into the repository's artifacts/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { Inventory } from '../../cli/demo/environment.js';
import { BIN, REPO } from '../cli/run.js';

interface DemoRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Generous: the file runs on 2 cores beside other test files. */
const DEMO_TIMEOUT_MS = 300_000;
/** Processes the demo killed may take a moment to be gone from /proc. */
const GONE_WITHIN_MS = 15_000;
/** A Telegram bot token, or a URL with a password in it: what must never be printed. */
const SECRET_SHAPES = [/(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}/, /[a-z]+:\/\/[^:/@\s"]+:[^@\s/"]+@/i];

const folders: string[] = [];
const running: DemoRun[] = [];

afterEach(() => {
  // A failed assertion must not leave a demo running into the next test.
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) killGroup(run.child.pid!);
  }
});

afterAll(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function artifactsFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'trt-demo-artifacts-'));
  folders.push(folder);
  return folder;
}

/** `node dist/cli/bin.js demo` in the repository, in a process group of its own, colour off. */
function startDemo(artifacts: string): DemoRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, 'demo', '--artifacts', artifacts], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const run = { child, stdout: () => stdout, stderr: () => stderr, exited };
  running.push(run);
  return run;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function waitFor(what: string, probe: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readInventory(artifacts: string): Inventory {
  return JSON.parse(readFileSync(join(artifacts, 'demo-environment.json'), 'utf8')) as Inventory;
}

/** Live (not zombie) processes whose environment holds `name=value`, as "pid command". */
function processesCarrying(name: string, value: string): string[] {
  const needle = `${name}=${value}`;
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environment.includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z' || state === 'X') continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
    } catch {
      // The process ended while being read, or is not ours to read.
    }
  }
  return found;
}

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function acceptsConnection(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Nothing the demo started is left: no process with its marker, no pid it recorded, no open port, no folder. */
async function expectNothingLeft(inventory: Inventory): Promise<void> {
  expect(inventory.folder).not.toBeNull();
  expect(inventory.ports.map((entry) => entry.what)).toEqual(expect.arrayContaining(['PostgreSQL', 'the ACTIVE bot', 'the PASSIVE bot', 'Telegram emulator', 'KIE emulator', 'Render emulator']));
  expect(inventory.processes.map((entry) => entry.what)).toEqual(expect.arrayContaining(['PostgreSQL', 'the ACTIVE bot', 'the PASSIVE bot']));

  const left = () => processesCarrying(inventory.marker, inventory.runId);
  await waitFor('the demo\'s processes to be gone', () => left().length === 0, GONE_WITHIN_MS, () => left().join('\n')).catch(() => undefined);
  expect(left()).toEqual([]);
  expect(inventory.processes.filter((entry) => pidAlive(entry.pid))).toEqual([]);
  expect(pidAlive(inventory.demoPid)).toBe(false);

  const open: string[] = [];
  for (const { what, port } of inventory.ports) if (await acceptsConnection(port)) open.push(`${what} :${port}`);
  expect(open).toEqual([]);
  expect(existsSync(inventory.folder!)).toBe(false);
}

function expectNoSecret(text: string, where: string): void {
  for (const shape of SECRET_SHAPES) expect(shape.test(text), `${where} holds something shaped like a secret (${shape})`).toBe(false);
}

it('runs the whole loop, certifies every stage and leaves nothing behind', { timeout: DEMO_TIMEOUT_MS }, async () => {
  const artifacts = artifactsFolder();
  const demo = startDemo(artifacts);
  const { code, signal } = await demo.exited;
  const output = `stdout:\n${demo.stdout()}\nstderr:\n${demo.stderr()}`;
  expect({ code, signal }, output).toEqual({ code: 0, signal: null });

  const stdout = demo.stdout();
  for (const stage of ['[1/4] environment', '[2/4] verify', '[3/4] smoke', '[4/4] ops']) expect(stdout).toContain(stage);
  const summary = stdout.slice(stdout.indexOf('Certification — '));
  expect(summary).toMatch(/^\s+environment\s+pass\s/m);
  expect(summary).toMatch(/^\s+verify\s+pass\s+0 errors, \d+ warnings? in \d+ files, \d+ rules/m);
  expect(summary).toMatch(/^\s+smoke\s+pass\s+9 passed, 0 failed, 0 skipped/m);
  expect(summary).toMatch(/^\s+ops\s+pass\s/m);
  for (const id of ['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']) expect(summary).toMatch(new RegExp(`^\\s+${id} .* pass `, 'm'));
  expect(summary).toContain('✔ CERTIFIED: every stage passed');

  const certification = readFileSync(join(artifacts, 'certification.md'), 'utf8');
  expect(certification).toContain('**Verdict: CERTIFIED**');
  for (const stage of ['environment', 'verify', 'smoke', 'ops']) expect(certification).toMatch(new RegExp(`^\\| ${stage} \\| pass \\|`, 'm'));
  const links = [...certification.matchAll(/\]\(([^)]+)\)/g)].map((match) => decodeURI(match[1]!));
  expect(links.some((link) => /^smoke-.*\.json$/.test(link))).toBe(true);
  expect(links.some((link) => /^smoke-.*\.md$/.test(link))).toBe(true);
  expect(links.some((link) => /^smoke-.*\.junit\.xml$/.test(link))).toBe(true);
  expect(links.some((link) => /^ops-snapshot-.*\.json$/.test(link))).toBe(true);
  expect(links.some((link) => /^ops-snapshot-.*\.md$/.test(link))).toBe(true);
  for (const link of links) expect(existsSync(join(artifacts, link)), link).toBe(true);

  expectNoSecret(demo.stdout(), 'stdout');
  expectNoSecret(demo.stderr(), 'stderr');
  for (const file of readdirSync(artifacts)) expectNoSecret(readFileSync(join(artifacts, file), 'utf8'), file);

  await expectNothingLeft(readInventory(artifacts));
});

it('stops everything and exits 130 on Ctrl-C halfway through', { timeout: DEMO_TIMEOUT_MS }, async () => {
  const artifacts = artifactsFolder();
  const demo = startDemo(artifacts);
  const exitedEarly = () => demo.child.exitCode !== null || demo.child.signalCode !== null;
  await waitFor('the smoke stage to start', () => demo.stdout().includes('[3/4] smoke') || exitedEarly(), DEMO_TIMEOUT_MS - 60_000, () => demo.stdout() + demo.stderr());
  expect(exitedEarly(), demo.stdout() + demo.stderr()).toBe(false);

  demo.child.kill('SIGINT');
  const { code, signal } = await demo.exited;
  const output = `stdout:\n${demo.stdout()}\nstderr:\n${demo.stderr()}`;
  expect({ code, signal }, output).toEqual({ code: 130, signal: null });
  expect(demo.stdout()).toContain('SIGINT: stopping');
  expect(demo.stdout()).toContain('stopped: nothing of the demo is left running');
  expect(existsSync(join(artifacts, 'certification.md'))).toBe(false);
  expectNoSecret(demo.stdout(), 'stdout');
  expectNoSecret(demo.stderr(), 'stderr');

  await expectNothingLeft(readInventory(artifacts));
});
