-- The ledger of applied migrations: the migrator records each file here, in the same transaction
-- as the file itself, and refuses to start when an applied file's checksum has changed.
CREATE TABLE IF NOT EXISTS migration_history (
  name        text        PRIMARY KEY,
  checksum    text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);
