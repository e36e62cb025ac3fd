/**
 * Promises waiting for something an emulator will see (a call, a task reaching a state): each
 * offered value is tested against every waiter's predicate, a waiter that never matches rejects
 * after its timeout with a message that says what was seen, and stopping the emulator rejects
 * them all instead of leaving a test hanging.
 */

interface Waiter<T> {
  predicate: (value: T) => boolean;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Waiters<T> {
  readonly #waiting = new Set<Waiter<T>>();

  /** The next offered value that satisfies `predicate`; `describeTimeout` is called only when time runs out. */
  wait(predicate: (value: T) => boolean, timeoutMs: number, describeTimeout: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiting.delete(waiter);
          reject(new Error(describeTimeout()));
        }, timeoutMs),
      };
      this.#waiting.add(waiter);
    });
  }

  /** Offers `value` to every waiter; a predicate that throws rejects its own waiter. Each match gets `copy(value)`. */
  offer(value: T, copy: (value: T) => T = (same) => same): void {
    for (const waiter of [...this.#waiting]) {
      let matched: boolean;
      try {
        matched = waiter.predicate(value);
      } catch (error) {
        this.#settle(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matched) {
        this.#settle(waiter);
        waiter.resolve(copy(value));
      }
    }
  }

  rejectAll(message: string): void {
    for (const waiter of this.#waiting) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(message));
    }
    this.#waiting.clear();
  }

  #settle(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    this.#waiting.delete(waiter);
  }
}
