/**
 * What a PASSIVE instance knows about the current lock holder, and when it may depose it.
 *
 * The observation is one statement, so the advisory lock, the holder's session and the
 * `bot_leader` row are read at the same moment: a takeover decision built from two reads could
 * pair a new holder's pid with the previous holder's stale heartbeat and kill a healthy leader.
 */
import type pg from 'pg';

/** The holder of the advisory lock as seen from another session. */
export interface HolderObservation {
  /** Backend pid holding the advisory lock in this database; null when the lock is free. */
  holderPid: number | null;
  /** Seconds the holder's session has been idle (`state = 'idle'`); null when busy or no holder. */
  idleS: number | null;
  /** The `bot_leader` row of the key; null before any instance ever acquired it. */
  row: LeaderRow | null;
}

export interface LeaderRow {
  epoch: number;
  instanceId: string;
  holderPid: number;
  /** Seconds since `heartbeat_at`; null once the holder released the lock (heartbeat cleared). */
  heartbeatAgeS: number | null;
}

/**
 * The lock key's holder as PostgreSQL sees it: the granted advisory lock in pg_locks (a bigint
 * key split over classid/objid, objsubid 1), its session in pg_stat_activity (alias `a`) and the
 * bot_leader row (alias `b`). `$1` is the lock key. `trt ops db` reads the same facts.
 * The single-key form pg_try_advisory_lock(bigint) shows in pg_locks as classid = high 32 bits,
 * objid = low 32 bits, objsubid = 1; the int32 key is sign-extended to int64 first, so a
 * negative key has classid 4294967295.
 */
export const LOCK_HOLDER_FROM = `FROM (SELECT $1::int AS lock_key) AS k
LEFT JOIN LATERAL (
  SELECT pid FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 1
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND classid::bigint = (k.lock_key::bigint >> 32) & 4294967295
    AND objid::bigint = k.lock_key::bigint & 4294967295
  LIMIT 1
) AS l ON true
LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
LEFT JOIN bot_leader AS b ON b.lock_key = k.lock_key`;

/** Who to terminate, and why: the input of {@link terminateHolder}. */
export interface Takeover {
  holderPid: number;
  /** The hung instance whose other sessions die with it; null when the row does not describe the holder. */
  instanceId: string | null;
  reason: string;
}

export interface StaleLimits {
  staleHeartbeatS: number;
  staleIdleS: number;
}

const OBSERVE_SQL = `
SELECT l.pid AS holder_pid,
       CASE WHEN a.state = 'idle'
            THEN greatest(0, extract(epoch FROM now() - a.state_change))::float8 END AS idle_s,
       b.epoch::float8 AS epoch,
       b.instance_id,
       b.holder_pid AS row_holder_pid,
       CASE WHEN b.heartbeat_at IS NOT NULL
            THEN greatest(0, extract(epoch FROM now() - b.heartbeat_at))::float8 END AS heartbeat_age_s
${LOCK_HOLDER_FROM}`;

interface ObserveRow {
  holder_pid: number | null;
  idle_s: number | null;
  epoch: number | null;
  instance_id: string | null;
  row_holder_pid: number | null;
  heartbeat_age_s: number | null;
}

export async function observeHolder(client: pg.Client, lockKey: number): Promise<HolderObservation> {
  const { rows } = await client.query<ObserveRow>(OBSERVE_SQL, [lockKey]);
  const r = rows[0];
  if (!r) throw new Error('the lock observation query returned no row');
  return {
    holderPid: r.holder_pid,
    idleS: r.idle_s,
    row:
      r.epoch === null || r.instance_id === null || r.row_holder_pid === null
        ? null
        : { epoch: r.epoch, instanceId: r.instance_id, holderPid: r.row_holder_pid, heartbeatAgeS: r.heartbeat_age_s },
  };
}

/**
 * Whether the holder is stale enough to depose, or null to leave it alone.
 *
 * The heartbeat only counts when the row names the holder's own pid: otherwise the holder has
 * just acquired and not yet committed its row, and the heartbeat on file is its predecessor's.
 * Without a heartbeat of its own, a holder is stale once its session has sat idle too long.
 */
export function planTakeover(holder: HolderObservation, limits: StaleLimits): Takeover | null {
  if (holder.holderPid === null) return null;
  const row = holder.row !== null && holder.row.holderPid === holder.holderPid ? holder.row : null;
  const heartbeatAgeS = row?.heartbeatAgeS ?? null;
  const instanceId = row?.instanceId ?? null;
  if (heartbeatAgeS !== null) {
    if (heartbeatAgeS <= limits.staleHeartbeatS) return null;
    return {
      holderPid: holder.holderPid,
      instanceId,
      reason: `heartbeat ${seconds(heartbeatAgeS)} old (stale after ${seconds(limits.staleHeartbeatS)})`,
    };
  }
  if (holder.idleS !== null && holder.idleS > limits.staleIdleS) {
    return {
      holderPid: holder.holderPid,
      instanceId,
      reason: `no heartbeat and its session idle for ${seconds(holder.idleS)} (stale after ${seconds(limits.staleIdleS)})`,
    };
  }
  return null;
}

/*
 * Besides the holder, every session of the hung instance (`trt-bot:<id>` and `trt-bot:<id>:…`)
 * dies, so its open transactions roll back before this instance starts working. The wait (PG 14+)
 * lets the lock be free by the time the statement returns.
 */
const TERMINATE_SQL = `
SELECT pid, pg_terminate_backend(pid, 5000) AS ended
FROM pg_stat_activity
WHERE pid <> pg_backend_pid()
  AND datname = current_database()
  AND (pid = $1::int
       OR ($2::text IS NOT NULL
           AND (application_name = 'trt-bot:' || $2::text
                OR starts_with(application_name, 'trt-bot:' || $2::text || ':'))))`;

/** Terminates the stale holder and its instance's sessions; returns how many sessions ended. */
export async function terminateHolder(client: pg.Client, takeover: Takeover): Promise<number> {
  const { rows } = await client.query<{ pid: number; ended: boolean }>(TERMINATE_SQL, [takeover.holderPid, takeover.instanceId]);
  return rows.filter((row) => row.ended).length;
}

function seconds(value: number): string {
  return `${Math.round(value * 10) / 10} s`;
}
