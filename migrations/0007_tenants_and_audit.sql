-- Multi-tenancy: collections, documents and query logs belong to a tenant (pages and chunks through their
-- document and collection). Rows from before tenants existed belong to 'default'.
ALTER TABLE collections ADD COLUMN tenant text NOT NULL DEFAULT 'default';
-- A collection name is unique within its tenant: two tenants may both have "handbook".
ALTER TABLE collections DROP CONSTRAINT collections_name_key;
ALTER TABLE collections ADD CONSTRAINT collections_tenant_name_key UNIQUE (tenant, name);

ALTER TABLE documents ADD COLUMN tenant text NOT NULL DEFAULT 'default';
CREATE INDEX documents_tenant_created_idx ON documents (tenant, created_at DESC, id DESC);

ALTER TABLE query_logs ADD COLUMN tenant text NOT NULL DEFAULT 'default';
-- Heuristic prompt-injection findings: the query itself, and how many retrieved chunks looked like one.
ALTER TABLE query_logs ADD COLUMN query_flagged boolean NOT NULL DEFAULT false;
ALTER TABLE query_logs ADD COLUMN flagged_chunks integer NOT NULL DEFAULT 0;
CREATE INDEX query_logs_flagged_idx ON query_logs (created_at) WHERE query_flagged OR flagged_chunks > 0;

-- Who did what, when: key creation and revocation, deletions, admin actions. `actor_key_id` is NULL for the
-- ADMIN_API_KEY from the environment (it has no api_keys row); the prefix still says which key it was.
CREATE TABLE audit_log (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor_key_id     uuid,
  actor_key_prefix text NOT NULL,
  actor_role       text NOT NULL,
  actor_tenant     text,
  action           text NOT NULL,
  target           text NOT NULL,
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
