-- Fair ingestion queues: the producer counts a tenant's documents waiting for or in ingestion on every enqueue
-- (that count is the job's priority). This keeps the count proportional to the backlog, not to every document
-- the tenant ever stored.
CREATE INDEX documents_tenant_unfinished_idx ON documents (tenant) WHERE status IN ('queued', 'processing');
