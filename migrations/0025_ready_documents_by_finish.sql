-- The admin dashboard (documents ready per five-minute bucket of the last hour, read on every refresh) and
-- GET /v1/admin/usage (documents ready per day) both ask for `status = 'ready' AND finished_at` in a window.
-- No index had finished_at: before ANALYZE the planner guessed few ready rows and read them through
-- documents_status_idx, and once statistics said that nearly every document is ready it read the whole table,
-- every refresh, however few documents the window held (on 19,800 documents: 1,058 buffers for the last
-- hour's 83). Partial, since only ready documents are ever counted by when they finished; a document enters
-- it once, when its ingestion finishes.
CREATE INDEX documents_ready_finished_idx ON documents (finished_at) WHERE status = 'ready';
