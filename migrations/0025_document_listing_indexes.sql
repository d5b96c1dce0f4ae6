-- Indexes for two document reads that the planner served by reading far more than they return once ANALYZE
-- had run (autovacuum runs it on any real server; measured on 19,800 documents of 31 tenants, analysed).
--
-- The admin dashboard (documents ready per five-minute bucket of the last hour, read on every refresh) and
-- GET /v1/admin/usage (documents ready per day) both ask for `status = 'ready' AND finished_at` in a window.
-- No index had finished_at: before ANALYZE the planner guessed few ready rows and read them through
-- documents_status_idx, and once statistics said that nearly every document is ready it read the whole table,
-- every refresh, however few documents the window held (the last hour: 1,061 buffers -> 12; 7 days: 1,058 ->
-- 154). Partial, since only ready documents are ever counted by when they finished.
CREATE INDEX documents_ready_finished_idx ON documents (finished_at) WHERE status = 'ready';

-- GET /v1/documents?status=... of one tenant, newest first: statistics made the planner read every tenant's
-- documents of that status through documents_status_idx and sort them (a tenant's 6 failed documents among
-- 574: 406 buffers -> 10), or walk the tenant's documents newest first until a page of that status was found.
-- Partial like the listing's own condition (pending versions are not listed). Progress writes stay HOT: they
-- change none of its columns.
CREATE INDEX documents_tenant_status_created_idx ON documents (tenant, status, created_at DESC, id DESC) WHERE replaces IS NULL;
