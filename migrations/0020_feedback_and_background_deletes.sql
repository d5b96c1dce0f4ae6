-- Feedback on answers, the API key behind each query, and collections and documents deleted in the background.

-- Every answer carries a public query id, chosen before the answer is sent (the log row is written while it
-- goes out), so feedback can name it. Existing rows get one of their own. The key that asked is kept too (null
-- for the ADMIN_API_KEY from the environment, which has no row, and for rows written before this). What the
-- answer cited (document, title, pages per citation) is kept so a "down" answer can be shown with its sources
-- after its documents changed or went.
ALTER TABLE query_logs
  ADD COLUMN query_id uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  ADD COLUMN cited_sources jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE UNIQUE INDEX query_logs_query_id_idx ON query_logs (query_id);
-- A conversation's turn keeps the id of its answer, so a conversation read back can still be rated. No foreign
-- key: turns and query logs have retentions of their own.
ALTER TABLE conversation_turns ADD COLUMN query_id uuid;

-- One rating per answer: a second POST replaces the first (people change their minds; the latest counts).
-- Goes with its query log (retention), since a rating without its question says nothing.
CREATE TABLE query_feedback (
  query_id   uuid PRIMARY KEY REFERENCES query_logs (query_id) ON DELETE CASCADE,
  tenant     text NOT NULL,
  rating     text NOT NULL CHECK (rating IN ('up', 'down')),
  comment    text CHECK (length(comment) <= 2000),
  api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The dashboard reads a window of recent ratings.
CREATE INDEX query_feedback_updated_idx ON query_feedback (updated_at);

ALTER TABLE query_feedback ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON query_feedback USING (groundwork_tenant_visible(tenant));

-- Background deletions (DELETE /v1/collections/:name, DELETE /v1/documents?filter=): the job's state and
-- progress live here, as ingestion's live on documents, so polling never depends on Redis keeping the job.
-- No foreign key to the collection: a collection's deletion ends by removing it.
CREATE TABLE deletion_jobs (
  id              text PRIMARY KEY,
  tenant          text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('collection', 'documents')),
  collection_id   uuid NOT NULL,
  collection_name text NOT NULL,
  -- The metadata filter of a 'documents' deletion, as the client sent it (compiled again by the worker).
  filter          jsonb,
  state           text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'active', 'completed', 'failed')),
  documents_total integer NOT NULL DEFAULT 0,
  documents_done  integer NOT NULL DEFAULT 0,
  attempts        integer NOT NULL DEFAULT 0,
  error_code      text,
  error_message   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deletion_jobs_collection_idx ON deletion_jobs (collection_id);

ALTER TABLE deletion_jobs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deletion_jobs USING (groundwork_tenant_visible(tenant));

-- Set in the transaction that creates the collection's deletion job: from then on the collection is refused by
-- name (409 collection_deleting) while the job removes what it holds, and it goes at the end.
ALTER TABLE collections ADD COLUMN deletion_job_id text;

GRANT SELECT, INSERT, UPDATE, DELETE ON query_feedback TO groundwork_app;
GRANT SELECT, INSERT, UPDATE ON deletion_jobs TO groundwork_app;
GRANT DELETE ON collections TO groundwork_app;
