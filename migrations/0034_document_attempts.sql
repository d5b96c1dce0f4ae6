-- Each ingestion attempt gets a token of its own when it claims the document (DocumentTransitions.start), and
-- every write the attempt makes — pages, chunks, progress, finish, failure — applies only while the token is
-- still the document's (libs/database/src/ingestion-writes.ts). BullMQ's job lock is the lease, but a worker
-- that loses it (Redis unreachable for longer than lockDuration) keeps running while the stalled job goes to
-- another: without the token the stale attempt went on writing beside the new one, and after the document was
-- ready and replaced by a new version it overwrote the new version's chunks with the old file's.
-- The attempt counter is not enough: a swap copies the pending version's count onto the document.
ALTER TABLE documents ADD COLUMN attempt_id uuid;
