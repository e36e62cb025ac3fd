/**
 * The process S8 starts with `--spawn "CMD"`: run through the shell in a process group of its
 * own, told its port through PORT, its output kept (the tail) for the evidence, and stopped the
 * way a platform stops it — SIGTERM to the whole group, SIGKILL after a grace period — so
 * nothing it started outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const OUTPUT_TAIL_CHARS = 8192;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult {
  /** SIGTERM when the process exited by itself within the grace period, SIGKILL when it had to be killed. */
  by: 'SIGTERM' | 'SIGKILL' | 'already-exited';
  exit: Exit;
  stopMs: number;
}

export class SpawnedService {
  readonly exited: Promise<Exit>;
  #exit: Exit | null = null;
  #output = '';

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    // If trt itself exits (Ctrl-C, a crash), the service must not outlive it.
    const killOnExit = () => this.#signal('SIGKILL');
    process.once('exit', killOnExit);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      child.on('error', (error) => {
        this.#output += `\n${error.message}`;
        this.#exit = { code: null, signal: null };
        resolve(this.#exit);
      });
    });
  }

  get exit(): Exit | null {
    return this.#exit;
  }

  /** The last lines the process wrote (stdout and stderr interleaved). */
  outputTail(lines = 20): string[] {
    return this.#output.split('\n').filter((line) => line.trim() !== '').slice(-lines);
  }

  /**
   * SIGTERM to the whole group, then waits until every process of the group is gone — the
   * shell may exit at once while the service it started is still shutting down — and SIGKILLs
   * what is left after `graceMs`.
   */
  async stop(graceMs: number): Promise<StopResult> {
    const started = performance.now();
    if (this.#exit && !this.#groupAlive()) return { by: 'already-exited', exit: this.#exit, stopMs: 0 };
    this.#signal('SIGTERM');
    const deadline = started + graceMs;
    while (this.#groupAlive() && performance.now() < deadline) await sleep(20);
    if (!this.#groupAlive()) return { by: 'SIGTERM', exit: await this.exited, stopMs: performance.now() - started };
    this.#signal('SIGKILL');
    // Bounded: an orphan nobody reaps (no init in a container) stays a zombie that signal 0 still finds.
    const killDeadline = performance.now() + 5000;
    while (this.#groupAlive() && performance.now() < killDeadline) await sleep(20);
    return { by: 'SIGKILL', exit: await this.exited, stopMs: performance.now() - started };
  }

  /** Whether any process of the group is still running. */
  #groupAlive(): boolean {
    return groupAlive(this.child.pid!);
  }

  #signal(signal: NodeJS.Signals): void {
    try {
      // The negative pid is the process group: the shell and everything it started.
      process.kill(-this.child.pid!, signal);
    } catch {
      this.child.kill(signal);
    }
  }
}

export function spawnService(command: string, port: number, env: NodeJS.ProcessEnv = process.env): SpawnedService {
  const child = spawn(command, { shell: true, detached: true, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new SpawnedService(child, port);
}

/**
 * Whether a process group still has a running member. Where /proc exists (Linux) zombies do not
 * count: when the shell exits first, the service is re-parented to PID 1, and in a container
 * PID 1 may reap it late, while signal 0 still "finds" the zombie. Elsewhere signal 0 decides.
 */
function groupAlive(groupId: number): boolean {
  // Signal 0 answers in one call; /proc is read only when it finds someone, who may be a zombie.
  try {
    process.kill(-groupId, 0);
  } catch (error) {
    // EPERM: a member exists that this user may not signal.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return entries.some((pid) => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(group) === groupId && state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
}
