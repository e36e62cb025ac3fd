-- The singleton: one row per advisory lock key. `epoch` is the fencing token, incremented on
-- every acquisition; the ACTIVE's writes check it, so a deposed leader's late writes are refused.
CREATE TABLE IF NOT EXISTS bot_leader (
  lock_key      integer     PRIMARY KEY,
  epoch         bigint      NOT NULL,
  instance_id   text        NOT NULL,
  holder_pid    integer     NOT NULL,
  acquired_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz
);

-- Every update the webhook acknowledged, stored before the 200 and deduplicated on update_id.
-- processed_at and outcome are written in the same transaction as the DISPATCH_OK/FAIL event.
CREATE TABLE IF NOT EXISTS inbox (
  update_id        bigint      PRIMARY KEY,
  chat_id          bigint,
  cid              text        NOT NULL,
  payload          jsonb       NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  processed_at     timestamptz,
  processed_epoch  bigint,
  outcome          text
);
CREATE INDEX IF NOT EXISTS inbox_unprocessed_idx ON inbox (received_at) WHERE processed_at IS NULL;

-- What happened to each update, by correlation id: read by /admin/events, trt smoke and trt ops.
-- ts is the wall clock of the insert, not the transaction's start (now()): a DISPATCH_OK written
-- at the end of a long dispatch transaction must sort after the REPLY_SENT written during it.
CREATE TABLE IF NOT EXISTS app_events (
  id         bigserial   PRIMARY KEY,
  ts         timestamptz NOT NULL DEFAULT clock_timestamp(),
  event      text        NOT NULL,
  level      text        NOT NULL,
  cid        text,
  update_id  bigint,
  chat_id    bigint,
  data       jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS app_events_update_id_idx ON app_events (update_id);
CREATE INDEX IF NOT EXISTS app_events_cid_idx ON app_events (cid);
CREATE INDEX IF NOT EXISTS app_events_ts_idx ON app_events (ts);
