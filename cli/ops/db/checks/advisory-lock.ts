/**
 * The bot's singleton (SPEC §8): who holds the session advisory lock `database.lock_key`, and
 * whether its heartbeat in `bot_leader` is fresh. A stale heartbeat means the leader is hung (the
 * standby will depose it after `stale_heartbeat_s`); a `bot_leader` row with nobody holding the
 * lock means no instance is ACTIVE and no update is processed.
 */
import { LOCK_HOLDER_FROM } from '../../../../bot/lock/holder.js';
import type { CheckVerdict, DbCheckContext, DbCheckModule } from '../check.js';
import { duration, round1 } from '../verdict.js';

/*
 * The bot takes pg_try_advisory_lock($1::int) (bot/lock/leader.ts): the int4 key is widened to
 * bigint, which pg_locks shows as classid = high 32 bits, objid = low 32 bits, objsubid = 1 — so
 * a negative key has classid 4294967295. The migrator's (key, 1) two-int form has objsubid 2 and
 * is not the leader. Same shape as bot/lock/holder.ts, plus what a person needs to find the holder.
 */
const SQL = `
SELECT l.pid AS holder_pid,
       a.application_name,
       a.state,
       CASE WHEN a.state = 'idle' THEN greatest(0, extract(epoch FROM now() - a.state_change))::float8 END AS idle_s,
       b.epoch::float8 AS epoch,
       b.instance_id,
       b.holder_pid AS row_holder_pid,
       b.heartbeat_at,
       CASE WHEN b.heartbeat_at IS NOT NULL THEN greatest(0, extract(epoch FROM now() - b.heartbeat_at))::float8 END AS heartbeat_age_s
${LOCK_HOLDER_FROM}`;

export interface LockObservation {
  holderPid: number | null;
  applicationName: string | null;
  /** Seconds the holder's session has been idle; null when busy, unseen or no holder. */
  idleS: number | null;
  /** The `bot_leader` row of the key; null before any instance acquired it. */
  row: { epoch: number; instanceId: string; holderPid: number; heartbeatAgeS: number | null } | null;
}

export type LockLimits = Pick<DbCheckContext['bot'], 'lockKey' | 'heartbeatIntervalS' | 'staleHeartbeatS' | 'staleIdleS'>;

/** The instance holding the lock: its `bot_leader` row when the row names it, else its application_name `trt-bot:<id>:lock`. */
export function holderInstance(observation: LockObservation): string | null {
  if (observation.holderPid === null) return null;
  if (observation.row && observation.row.holderPid === observation.holderPid) return observation.row.instanceId;
  return /^trt-bot:(.+):lock$/.exec(observation.applicationName ?? '')?.[1] ?? null;
}

export function advisoryLockVerdict(observation: LockObservation, limits: LockLimits): Pick<CheckVerdict, 'status' | 'summary'> {
  const { holderPid, row } = observation;
  const key = `lock ${limits.lockKey}`;
  if (row === null) {
    if (holderPid === null) return { status: 'ok', summary: `no instance has taken ${key} yet (bot_leader has no row for it)` };
    return { status: 'warn', summary: `${key} is held by pid ${holderPid}${named(observation)}, but bot_leader has no row for it: not a bot instance, or one that could not record its acquisition` };
  }
  const instance = holderInstance(observation);
  const heartbeat = row.heartbeatAgeS === null ? 'no heartbeat' : `heartbeat ${duration(row.heartbeatAgeS)} old`;
  if (holderPid === null) {
    return {
      status: 'critical',
      summary: `nobody holds ${key}: no instance is ACTIVE (last holder ${row.instanceId}, epoch ${row.epoch}, ${heartbeat})`,
    };
  }
  const holder = `pid ${holderPid}${instance ? ` (${instance})` : ''}, epoch ${row.epoch}`;
  if (row.heartbeatAgeS !== null && row.heartbeatAgeS > limits.staleHeartbeatS) {
    return { status: 'critical', summary: `${key} held by ${holder} with a stale heartbeat: ${duration(row.heartbeatAgeS)} old, stale after ${duration(limits.staleHeartbeatS)}` };
  }
  if (row.holderPid !== holderPid || row.heartbeatAgeS === null) {
    if (observation.idleS !== null && observation.idleS > limits.staleIdleS) {
      return { status: 'critical', summary: `${key} held by ${holder} with no heartbeat of its own and its session idle for ${duration(observation.idleS)} (stale after ${duration(limits.staleIdleS)})` };
    }
    return { status: 'warn', summary: `${key} held by ${holder}, which has not recorded a heartbeat of its own (bot_leader names pid ${row.holderPid})` };
  }
  // Two missed beats: not stale yet, but the leader is struggling to write.
  if (row.heartbeatAgeS > limits.heartbeatIntervalS * 2) {
    return { status: 'warn', summary: `${key} held by ${holder}; heartbeat late: ${duration(row.heartbeatAgeS)} old, every ${duration(limits.heartbeatIntervalS)} expected` };
  }
  return { status: 'ok', summary: `${key} held by ${holder}; heartbeat ${duration(row.heartbeatAgeS)} old` };
}

function named(observation: LockObservation): string {
  return observation.applicationName ? ` (${observation.applicationName})` : '';
}

interface Row {
  holder_pid: number | null;
  application_name: string | null;
  state: string | null;
  idle_s: number | null;
  epoch: number | null;
  instance_id: string | null;
  row_holder_pid: number | null;
  heartbeat_at: Date | null;
  heartbeat_age_s: number | null;
}

export const advisoryLock: DbCheckModule = {
  id: 'advisory-lock',
  title: 'Leader lock holder and heartbeat',
  async run(db, context) {
    const [row] = await db.query<Row>(SQL, [context.bot.lockKey]);
    if (!row) throw new Error('the lock observation returned no row');
    const observation: LockObservation = {
      holderPid: row.holder_pid,
      applicationName: row.application_name,
      idleS: row.idle_s,
      row:
        row.epoch === null || row.instance_id === null || row.row_holder_pid === null
          ? null
          : { epoch: row.epoch, instanceId: row.instance_id, holderPid: row.row_holder_pid, heartbeatAgeS: row.heartbeat_age_s },
    };
    const verdict = advisoryLockVerdict(observation, context.bot);
    return {
      ...verdict,
      numbers: {
        holder_pid: row.holder_pid,
        holder_instance: holderInstance(observation),
        epoch: row.epoch,
        heartbeat_age_s: row.heartbeat_age_s === null ? null : round1(row.heartbeat_age_s),
        stale_heartbeat_s: context.bot.staleHeartbeatS,
        idle_s: row.idle_s === null ? null : round1(row.idle_s),
        lock_key: context.bot.lockKey,
      },
      rows: [
        {
          holder_pid: row.holder_pid,
          application_name: row.application_name,
          state: row.state,
          recorded_pid: row.row_holder_pid,
          instance_id: row.instance_id,
          epoch: row.epoch,
          heartbeat_at: row.heartbeat_at?.toISOString() ?? null,
        },
      ],
    };
  },
};
