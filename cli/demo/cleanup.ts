/**
 * What the demo started, stopped in reverse order, whatever ends the run: success, a failed
 * stage, a start that failed halfway, Ctrl-C or SIGTERM. Each thing is registered as it starts,
 * so the stack always holds exactly what is running; a start still in flight is registered
 * before it completes and stopped once it settles. Stopping is idempotent (every call waits for
 * the same run), and once it has begun nothing new may start: the next start throws
 * {@link DemoInterrupted} instead of leaving something behind that nobody stops.
 *
 * @example
 * ```ts
 * const stack = new CleanupStack();
 * const db = await stack.start('PostgreSQL', () => startEmbeddedPostgres(options), (server) => server.stop());
 * // … later, in a finally block or a signal handler
 * await stack.stopAll();
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The demo was told to stop (Ctrl-C, SIGTERM) while it was starting or running something. */
export class DemoInterrupted extends Error {
  override readonly name = 'DemoInterrupted';
  constructor(readonly what: string) {
    super(`stopped before ${what} could start: the demo is shutting down`);
  }
}

export interface StopProblem {
  what: string;
  message: string;
}

interface Entry {
  what: string;
  stop: () => Promise<void>;
  /** Synchronous last resort (a second Ctrl-C, the process exiting): SIGKILL, rmSync. */
  kill?: () => void;
}

/** How long a start still in flight is waited for before the stop goes ahead without it. */
const IN_FLIGHT_WAIT_MS = 30_000;

export class CleanupStack {
  readonly #entries: Entry[] = [];
  #stopping: Promise<StopProblem[]> | null = null;

  get stopping(): boolean {
    return this.#stopping !== null;
  }

  /** What is registered and not yet stopped, oldest first. */
  get running(): string[] {
    return this.#entries.map((entry) => entry.what);
  }

  /**
   * Registers `what` and then starts it; if the stack stops while the start is in flight, the
   * stop waits for it to settle (up to {@link IN_FLIGHT_WAIT_MS}) and stops what it produced.
   */
  async start<T>(what: string, start: () => Promise<T>, stop: (started: T) => Promise<void>, kill?: (started: T) => void): Promise<T> {
    this.#refuseWhenStopping(what);
    let started: { value: T } | null = null;
    const pending = start().then((value) => {
      started = { value };
      return value;
    });
    const settled = pending.then(
      () => undefined,
      () => undefined,
    );
    this.#push({
      what,
      stop: async () => {
        await Promise.race([settled, sleep(IN_FLIGHT_WAIT_MS, undefined, { ref: false })]);
        if (started) await stop(started.value);
      },
      kill: () => {
        if (started && kill) kill(started.value);
      },
    });
    try {
      return await pending;
    } catch (error) {
      this.#remove(what);
      throw error;
    }
  }

  /** Registers something already running (a child process just spawned, a folder just made). */
  add(what: string, stop: () => Promise<void>, kill?: () => void): void {
    this.#refuseWhenStopping(what);
    this.#push({ what, stop, ...(kill ? { kill } : {}) });
  }

  /**
   * Stops everything, newest first, each one even when another failed; returns what could not
   * be stopped. Every call returns the same run.
   */
  stopAll(): Promise<StopProblem[]> {
    this.#stopping ??= this.#stopEach();
    return this.#stopping;
  }

  /** The synchronous last resort, newest first: for a second Ctrl-C and for process exit. */
  killAll(): void {
    for (const entry of this.#entries.splice(0).reverse()) {
      try {
        entry.kill?.();
      } catch {
        // Nothing more can be done synchronously; the next entry must still get its turn.
      }
    }
  }

  async #stopEach(): Promise<StopProblem[]> {
    const problems: StopProblem[] = [];
    for (;;) {
      const entry = this.#entries.at(-1);
      if (!entry) break;
      try {
        await entry.stop();
      } catch (error) {
        problems.push({ what: entry.what, message: error instanceof Error ? error.message : String(error) });
      }
      const index = this.#entries.lastIndexOf(entry);
      // killAll (a second Ctrl-C) may have emptied the list while this entry was stopping.
      if (index >= 0) this.#entries.splice(index, 1);
    }
    return problems;
  }

  #refuseWhenStopping(what: string): void {
    if (this.#stopping) throw new DemoInterrupted(what);
  }

  #push(entry: Entry): void {
    this.#entries.push(entry);
  }

  #remove(what: string): void {
    const index = this.#entries.findLastIndex((entry) => entry.what === what);
    if (index >= 0 && !this.#stopping) this.#entries.splice(index, 1);
  }
}
