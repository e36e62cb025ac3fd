-- The inbox is the update queue: the ACTIVE takes the oldest unprocessed update of each chat
-- that has none in flight, in update_id order. This index serves exactly that scan.
CREATE INDEX IF NOT EXISTS inbox_pending_idx ON inbox (update_id) INCLUDE (chat_id) WHERE processed_at IS NULL;
DROP INDEX IF EXISTS inbox_unprocessed_idx;
