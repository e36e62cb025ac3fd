-- Credits. The ledger is the truth: append-only entries, each with a unique idempotency ref, and
-- a balance that is the sum of a chat's entries. credit_accounts keeps that sum per chat,
-- maintained by a trigger in the same transaction, so "never negative" is a CHECK the database
-- enforces (a reserve larger than the balance fails) and concurrent entries of one chat
-- serialise on its account row.
CREATE TABLE IF NOT EXISTS credit_accounts (
  chat_id     bigint      PRIMARY KEY,
  balance     bigint      NOT NULL DEFAULT 0 CONSTRAINT credit_balance_never_negative CHECK (balance >= 0),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS credit_ledger (
  id             bigserial   PRIMARY KEY,
  chat_id        bigint      NOT NULL,
  kind           text        NOT NULL CONSTRAINT credit_ledger_kind CHECK (kind IN ('grant', 'purchase', 'reserve', 'capture', 'release', 'refund')),
  amount         bigint      NOT NULL,
  -- The sign follows the kind: credits come in, a reserve holds, a capture only records.
  CONSTRAINT credit_ledger_amount_sign CHECK (
    (kind IN ('grant', 'purchase', 'release', 'refund') AND amount > 0)
    OR (kind = 'reserve' AND amount < 0)
    OR (kind = 'capture' AND amount = 0)
  ),
  ref            text        NOT NULL CONSTRAINT credit_ledger_ref_unique UNIQUE,
  cid            text,
  generation_id  bigint,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The balance query (sum by chat) reads only this index.
CREATE INDEX IF NOT EXISTS credit_ledger_chat_amount_idx ON credit_ledger (chat_id) INCLUDE (amount);

-- UPDATE first: an INSERT … ON CONFLICT DO UPDATE checks the CHECK constraint against the row it
-- proposes to insert, so a reserve (negative) would be refused even on a funded account.
CREATE OR REPLACE FUNCTION credit_ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE credit_accounts SET balance = balance + NEW.amount, updated_at = clock_timestamp() WHERE chat_id = NEW.chat_id;
  IF NOT FOUND THEN
    INSERT INTO credit_accounts AS account (chat_id, balance)
    VALUES (NEW.chat_id, NEW.amount)
    ON CONFLICT (chat_id) DO UPDATE SET balance = account.balance + EXCLUDED.balance, updated_at = clock_timestamp();
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER credit_ledger_apply AFTER INSERT ON credit_ledger
  FOR EACH ROW EXECUTE FUNCTION credit_ledger_apply();

CREATE OR REPLACE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_ledger is append-only: add a compensating entry instead of % of entry %', TG_OP, OLD.id;
END
$$;

CREATE OR REPLACE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
  FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();

-- Row triggers do not fire on TRUNCATE: refuse it with a statement trigger.
CREATE OR REPLACE FUNCTION credit_ledger_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_ledger is append-only: TRUNCATE would erase every balance''s history';
END
$$;

CREATE OR REPLACE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON credit_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger_no_truncate();

-- One row per generation request: its reserve, its KIE task and where it ended.
CREATE TABLE IF NOT EXISTS generations (
  id            bigserial   PRIMARY KEY,
  chat_id       bigint      NOT NULL,
  cid           text        NOT NULL,
  request_ref   text        NOT NULL CONSTRAINT generations_request_ref_unique UNIQUE,
  model_id      text        NOT NULL,
  kie_model     text        NOT NULL,
  prompt        text        NOT NULL,
  price         bigint      NOT NULL CONSTRAINT generations_price_positive CHECK (price > 0),
  state         text        NOT NULL CONSTRAINT generations_state CHECK (state IN ('reserved', 'submitted', 'succeeded', 'failed', 'expired')),
  task_id       text        CONSTRAINT generations_task_id_unique UNIQUE,
  result_url    text,
  error         text,
  deadline_at   timestamptz NOT NULL,
  delivered_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS generations_open_idx ON generations (deadline_at) WHERE state IN ('reserved', 'submitted');

-- What a chat is in the middle of (the generate flow's chosen model and prompt).
CREATE TABLE IF NOT EXISTS chat_state (
  chat_id     bigint      PRIMARY KEY,
  model_id    text,
  prompt      text,
  awaiting    text,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Set when a PASSIVE instance already answered the update's callback query with the "updating"
-- notice: the ACTIVE then does the work without answering the query a second time.
ALTER TABLE inbox ADD COLUMN IF NOT EXISTS passive_answered boolean NOT NULL DEFAULT false;
