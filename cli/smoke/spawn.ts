/**
 * The process S8 starts with `--spawn "CMD"`: run through the shell in a process group of its
 * own, told its port through PORT, its output kept (the tail) for the evidence, and stopped the
 * way a platform stops it — SIGTERM to the whole group, SIGKILL after a grace period — so
 * nothing it started outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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

  async stop(graceMs: number): Promise<StopResult> {
    const started = performance.now();
    if (this.#exit) return { by: 'already-exited', exit: this.#exit, stopMs: 0 };
    this.#signal('SIGTERM');
    const exit = await Promise.race([this.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), graceMs).unref())]);
    if (exit) return { by: 'SIGTERM', exit, stopMs: performance.now() - started };
    this.#signal('SIGKILL');
    return { by: 'SIGKILL', exit: await this.exited, stopMs: performance.now() - started };
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

/** A port nobody listens on right now, for the spawned service. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}
