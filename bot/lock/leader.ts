/**
 * The singleton of SPEC §8: exactly one ACTIVE instance per database.
 *
 * A session advisory lock held on one dedicated connection decides who is ACTIVE; it is never
 * taken through a pool or a transaction-mode pooler, because the lock belongs to the server
 * session and a pooler would hand that session to someone else. Each acquisition increments the
 * `bot_leader.epoch` fencing token, so writes checked against it are refused once a newer
 * holder exists, even from an instance that has not yet noticed it was deposed.
 *
 * @example
 * const lock = new LeaderLock({
 *   connectionString, lockKey: 7301, instanceId: 'web-1',
 *   heartbeatIntervalS: 5, staleHeartbeatS: 30, staleIdleS: 60, log,
 *   onActive: (epoch) => dispatcher.start(epoch),
 *   onPassive: (reason) => dispatcher.halt(reason),
 * });
 * await lock.start();
 * // …on SIGTERM, after in-flight work is done:
 * await lock.stop();
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Logger } from 'pino';
import { withDeadline } from '../deadline.js';
import { observeHolder, planTakeover, terminateHolder, type HolderObservation } from './holder.js';

export type LockState = 'ACTIVE' | 'PASSIVE';

/** What /health shows about the lock; every number is a JS number. */
export interface LockFacts {
  state: LockState;
  /** This instance's fencing epoch while ACTIVE; null while PASSIVE. */
  epoch: number | null;
  holderPid: number | null;
  idleS: number | null;
  heartbeatAgeS: number | null;
}

export interface LeaderLockOptions {
  connectionString: string;
  /** Signed int32 (`database.lock_key`). */
  lockKey: number;
  /** The lock connection's application_name is `trt-bot:<instanceId>:lock`. */
  instanceId: string;
  heartbeatIntervalS: number;
  staleHeartbeatS: number;
  staleIdleS: number;
  /** PASSIVE re-check period when no release notification arrives; default 1000. */
  retryMs?: number;
  log: Logger;
  /** Called after acquisition, once the new epoch is committed. */
  onActive: (epoch: number) => void | Promise<void>;
  /** Called synchronously the moment ACTIVE is lost: connection lost, fenced, or stop(). */
  onPassive: (reason: string) => void;
}

const CHANNEL = 'trt_leader';
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;
const NO_HOLDER = { holderPid: null, idleS: null, heartbeatAgeS: null } as const;

const TRY_LOCK_SQL = 'SELECT pg_try_advisory_lock($1::int) AS locked';
const UNLOCK_SQL = 'SELECT pg_advisory_unlock($1::int) AS unlocked';
const NOTIFY_SQL = `SELECT pg_notify('${CHANNEL}', 'released')`;
const ACQUIRE_SQL = `
INSERT INTO bot_leader AS b (lock_key, epoch, instance_id, holder_pid, acquired_at, heartbeat_at)
VALUES ($1::int, 1, $2::text, pg_backend_pid(), now(), now())
ON CONFLICT (lock_key) DO UPDATE
SET epoch = b.epoch + 1, instance_id = EXCLUDED.instance_id, holder_pid = EXCLUDED.holder_pid,
    acquired_at = EXCLUDED.acquired_at, heartbeat_at = EXCLUDED.heartbeat_at
RETURNING b.epoch::float8 AS epoch, b.holder_pid`;
const HEARTBEAT_SQL = 'UPDATE bot_leader SET heartbeat_at = now() WHERE lock_key = $1::int AND epoch = $2::bigint';
const CLEAR_HEARTBEAT_SQL = 'UPDATE bot_leader SET heartbeat_at = NULL WHERE lock_key = $1::int AND epoch = $2::bigint';

/**
 * Holds or waits for the singleton lock, and reports which it is.
 *
 * PASSIVE instances LISTEN on `trt_leader` and retry the moment a holder releases; otherwise every
 * `retryMs`. A holder whose heartbeat is older than `staleHeartbeatS` (or, with no heartbeat, whose
 * session has idled longer than `staleIdleS`) is terminated together with its instance's other
 * sessions. A fresh heartbeat is never overridden, so two healthy instances never depose each other.
 */
export class LeaderLock {
  readonly #options: LeaderLockOptions;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #applicationName: string;

  #client: pg.Client | null = null;
  /** Backend pid of #client, to ignore our own release notifications. */
  #clientPid: number | null = null;
  #state: LockState = 'PASSIVE';
  /** The lock held on #client and recorded in bot_leader; set before onActive runs. */
  #held: { epoch: number; pid: number } | null = null;
  /** performance.now() of the last heartbeat the database accepted. */
  #lastBeatAt = 0;
  #observed: Omit<LockFacts, 'state' | 'epoch'> = NO_HOLDER;
  #loggedHolderPid: number | null | undefined = undefined;

  #retryTimer: NodeJS.Timeout | null = null;
  #beatTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  #round: Promise<void> | null = null;
  #roundAgain = false;
  #started: Promise<void> | null = null;
  #stopped = false;
  #stopping: Promise<void> | null = null;

  constructor(options: LeaderLockOptions) {
    if (!Number.isInteger(options.lockKey) || options.lockKey < -2147483648 || options.lockKey > 2147483647) {
      throw new RangeError(`lock key ${options.lockKey} is not a signed 32-bit integer: set database.lock_key between -2147483648 and 2147483647`);
    }
    this.#options = options;
    this.#log = options.log.child({ component: 'leader-lock', lockKey: options.lockKey });
    this.#retryMs = options.retryMs ?? 1000;
    this.#applicationName = `trt-bot:${options.instanceId}:lock`;
  }

  get state(): LockState {
    this.#expireLease();
    return this.#state;
  }

  get epoch(): number | null {
    this.#expireLease();
    return this.#state === 'ACTIVE' ? (this.#held?.epoch ?? null) : null;
  }

  /** Makes the first attempt; resolves once this instance knows whether it is ACTIVE or PASSIVE. */
  start(): Promise<void> {
    this.#started ??= this.#stopped ? Promise.resolve() : this.#kick();
    return this.#started;
  }

  /** Cheap, from memory: the lock facts /health reports. */
  facts(): LockFacts {
    this.#expireLease();
    if (this.#state === 'ACTIVE' && this.#held) {
      return {
        state: 'ACTIVE',
        epoch: this.#held.epoch,
        holderPid: this.#held.pid,
        idleS: 0,
        heartbeatAgeS: Math.round(performance.now() - this.#lastBeatAt) / 1000,
      };
    }
    return { state: 'PASSIVE', epoch: null, ...this.#observed };
  }

  /**
   * Releases the lock (clears the heartbeat, unlocks, notifies the waiting instances so one takes
   * over at once) and closes the connection. Idempotent; no retries afterwards.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#stopped = true;
    this.#clearRetry();
    this.#clearBeat();
    if (this.#state === 'ACTIVE') this.#becomePassive('stopped');
    await this.#round;
    const client = this.#client;
    const held = this.#held;
    this.#client = null;
    this.#held = null;
    if (!client) return;
    if (held) {
      try {
        await client.query(CLEAR_HEARTBEAT_SQL, [this.#options.lockKey, held.epoch]);
        await client.query(UNLOCK_SQL, [this.#options.lockKey]);
        // After the unlock, so the instance that wakes up finds the lock free.
        await client.query(NOTIFY_SQL);
        this.#log.info({ epoch: held.epoch }, 'lock released');
      } catch (error) {
        this.#log.warn({ err: error }, 'could not release the lock cleanly; closing its connection releases it, and other instances notice within their retry period');
      }
    }
    await client.end().catch(() => undefined);
  }

  /** Runs one PASSIVE round now, or once more after the running one. Never rejects. */
  #kick(): Promise<void> {
    if (this.#stopped || this.#state === 'ACTIVE') return this.#round ?? Promise.resolve();
    if (this.#round) {
      this.#roundAgain = true;
      return this.#round;
    }
    this.#round = (async () => {
      do {
        this.#roundAgain = false;
        await this.#attempt();
      } while (this.#roundAgain && !this.#stopped && this.#state === 'PASSIVE');
    })()
      .catch((error: unknown) => this.#log.error({ err: error }, 'lock round failed unexpectedly'))
      .finally(() => {
        this.#round = null;
      });
    return this.#round;
  }

  async #attempt(): Promise<void> {
    this.#clearRetry();
    let client: pg.Client;
    try {
      client = this.#client ?? (await this.#connect());
    } catch (error) {
      const delay = this.#backoff();
      this.#log.warn({ err: error, retryInMs: delay }, `cannot open the lock connection: ${describe(error)}; retrying as PASSIVE`);
      this.#scheduleRetry(delay);
      return;
    }
    if (this.#stopped) return;
    try {
      const holder = await observeHolder(client, this.#options.lockKey);
      this.#observe(holder);
      if (holder.holderPid !== null) {
        const takeover = planTakeover(holder, this.#options);
        if (!takeover) {
          this.#failures = 0;
          this.#scheduleRetry(this.#retryMs);
          return;
        }
        this.#log.warn(
          {
            holderPid: takeover.holderPid,
            holderInstanceId: takeover.instanceId,
            heartbeatAgeS: holder.row?.heartbeatAgeS ?? null,
            idleS: holder.idleS,
          },
          `taking over from stale holder pid ${takeover.holderPid} (instance ${takeover.instanceId ?? 'unknown'}): ${takeover.reason}`,
        );
        const terminated = await terminateHolder(client, takeover);
        this.#log.warn({ terminated }, `terminated ${terminated} session(s) of the stale holder`);
        if (this.#stopped) return;
      }
      const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK_SQL, [this.#options.lockKey]);
      if (rows[0]?.locked !== true) {
        this.#failures = 0;
        this.#scheduleRetry(this.#retryMs);
        return;
      }
      const won = await client.query<{ epoch: number; holder_pid: number }>(ACQUIRE_SQL, [this.#options.lockKey, this.#options.instanceId]);
      const row = won.rows[0];
      if (!row) throw new Error('recording the acquisition in bot_leader returned no row');
      this.#held = { epoch: row.epoch, pid: row.holder_pid };
      // stop() arrived meanwhile: it releases what we hold, and ACTIVE is never announced.
      if (this.#stopped) return;
      await this.#becomeActive(client, row.epoch);
    } catch (error) {
      this.#drop(client, `lock round failed: ${describe(error)}`, error);
    }
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      application_name: this.#applicationName,
      // Notices a dead network path, so a lost lock connection ends (and we go PASSIVE) instead of hanging.
      keepAlive: true,
      // stop() waits for a round in progress: an unanswered connect must not hold it for minutes.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // A listener stays for the client's whole life: an 'error' without one would crash the process.
    client.on('error', (error) => this.#drop(client, `lock connection error: ${error.message}`, error));
    client.on('end', () => this.#drop(client, 'lock connection closed'));
    client.on('notification', (message) => {
      if (client === this.#client && message.channel === CHANNEL && message.processId !== this.#clientPid) void this.#kick();
    });
    try {
      await client.connect();
      // An application_name inside the connection string would win over the client option.
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, set_config('application_name', $1::text, false)", [this.#applicationName]);
      await client.query(`LISTEN ${CHANNEL}`);
      this.#clientPid = rows[0]?.pid ?? null;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.#client = client;
    return client;
  }

  async #becomeActive(client: pg.Client, epoch: number): Promise<void> {
    this.#state = 'ACTIVE';
    this.#lastBeatAt = performance.now();
    this.#failures = 0;
    this.#observed = NO_HOLDER;
    this.#loggedHolderPid = undefined;
    this.#log.info({ epoch, holderPid: this.#held?.pid }, `lock acquired: ACTIVE with epoch ${epoch}`);
    this.#scheduleBeat(client, epoch);
    try {
      await this.#options.onActive(epoch);
    } catch (error) {
      if (!this.#isActiveOn(client, epoch)) return;
      this.#log.error({ err: error, epoch }, 'the ACTIVE start-up failed; giving up the lock so another instance can take over');
      this.#drop(client, `onActive failed: ${describe(error)}`, error);
    }
  }

  #scheduleBeat(client: pg.Client, epoch: number): void {
    this.#clearBeat();
    this.#beatTimer = setTimeout(() => void this.#beat(client, epoch), this.#options.heartbeatIntervalS * 1000);
    this.#beatTimer.unref();
  }

  async #beat(client: pg.Client, epoch: number): Promise<void> {
    if (!this.#isActiveOn(client, epoch)) return;
    try {
      // Others may depose us once the heartbeat is staleHeartbeatS old: a heartbeat stuck longer
      // than that (dead network, hung server) means the lock is as good as gone.
      const deadlineMs = Math.max(1000, (this.#options.staleHeartbeatS - this.#options.heartbeatIntervalS) * 1000);
      const result = await withDeadline(
        client.query(HEARTBEAT_SQL, [this.#options.lockKey, epoch]),
        deadlineMs,
        `no answer within ${deadlineMs / 1000} s`,
      );
      if (!this.#isActiveOn(client, epoch)) return;
      if (result.rowCount === 0) {
        await this.#fenced(client, epoch);
        return;
      }
      this.#lastBeatAt = performance.now();
      this.#scheduleBeat(client, epoch);
    } catch (error) {
      this.#drop(client, `heartbeat failed: ${describe(error)}`, error);
    }
  }

  /** The heartbeat was refused: bot_leader has moved past our epoch, so our writes are fenced anyway. */
  async #fenced(client: pg.Client, epoch: number): Promise<void> {
    this.#held = null;
    this.#clearBeat();
    this.#becomePassive(`fenced: bot_leader for lock key ${this.#options.lockKey} no longer has epoch ${epoch}, so this instance's writes are refused`);
    try {
      await client.query(UNLOCK_SQL, [this.#options.lockKey]);
      await client.query(NOTIFY_SQL);
    } catch (error) {
      this.#drop(client, `releasing the fenced lock failed: ${describe(error)}`, error);
      return;
    }
    // Not at once: the instances woken by the notification get the first chance.
    if (!this.#stopped) this.#scheduleRetry(this.#retryMs);
  }

  /**
   * Abandons `client` (if it is still ours): the server drops a session's advisory locks when it
   * ends, so closing it is the surest release. Reconnects with backoff unless stopped.
   */
  #drop(client: pg.Client, reason: string, error?: unknown): void {
    if (client !== this.#client) return;
    this.#client = null;
    this.#clientPid = null;
    this.#held = null;
    this.#observed = NO_HOLDER;
    this.#clearBeat();
    void client.end().catch(() => undefined);
    if (this.#state === 'ACTIVE') {
      this.#becomePassive(reason, error);
    } else {
      this.#log.warn({ err: error }, `lock connection dropped while PASSIVE: ${reason}`);
    }
    if (!this.#stopped) this.#scheduleRetry(this.#backoff());
  }

  #becomePassive(reason: string, error?: unknown): void {
    this.#state = 'PASSIVE';
    this.#observed = NO_HOLDER;
    if (reason === 'stopped') this.#log.info('stopping: giving up ACTIVE');
    else this.#log.warn({ err: error, reason }, `lost lock: ${reason}; this instance is PASSIVE now and keeps retrying`);
    try {
      this.#options.onPassive(reason);
    } catch (callbackError) {
      this.#log.error({ err: callbackError }, 'the onPassive callback threw');
    }
  }

  /**
   * A leader whose last accepted heartbeat is older than staleHeartbeatS may already have been
   * taken over (a process frozen by SIGSTOP or a long GC pause wakes up believing it is ACTIVE):
   * it must not say ACTIVE or start new work before a heartbeat proves otherwise.
   */
  #expireLease(): void {
    const client = this.#client;
    if (this.#state !== 'ACTIVE' || !client) return;
    const silentMs = performance.now() - this.#lastBeatAt;
    if (silentMs <= this.#options.staleHeartbeatS * 1000) return;
    this.#drop(client, `lease expired: no heartbeat accepted for ${Math.round(silentMs / 100) / 10} s (stale_heartbeat_s ${this.#options.staleHeartbeatS}), another instance may have taken over`);
  }

  #isActiveOn(client: pg.Client, epoch: number): boolean {
    return this.#client === client && this.#state === 'ACTIVE' && this.#held?.epoch === epoch;
  }

  #observe(holder: HolderObservation): void {
    this.#observed = { holderPid: holder.holderPid, idleS: holder.idleS, heartbeatAgeS: holder.row?.heartbeatAgeS ?? null };
    if (holder.holderPid !== this.#loggedHolderPid) {
      this.#loggedHolderPid = holder.holderPid;
      if (holder.holderPid !== null) {
        this.#log.info({ holderPid: holder.holderPid, holderInstanceId: holder.row?.instanceId ?? null }, 'PASSIVE: the lock is held by another session');
      }
    }
  }

  #backoff(): number {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.#failures);
    this.#failures += 1;
    return delay;
  }

  #scheduleRetry(delayMs: number): void {
    this.#clearRetry();
    this.#retryTimer = setTimeout(() => void this.#kick(), delayMs);
    this.#retryTimer.unref();
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #clearBeat(): void {
    if (this.#beatTimer) clearTimeout(this.#beatTimer);
    this.#beatTimer = null;
  }
}

/** The error's message, with the fix when the cause is a known set-up mistake. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '42P01') return `${message} (the bot_leader table is missing: apply bot/migrations before starting)`;
  if (code === '42883' && /pg_terminate_backend/.test(message)) return `${message} (stale takeover needs PostgreSQL 14 or newer)`;
  return message;
}
