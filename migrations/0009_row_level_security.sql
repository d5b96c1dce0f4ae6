-- Row-level security: the second wall behind the tenant-scoped repositories. Application queries run as
-- groundwork_app, which is neither a superuser nor the tables' owner, so the policies below apply to every
-- statement it runs; each transaction names its tenant with SET LOCAL groundwork.tenant (withTenant in
-- libs/database/src/pg-pool.ts). A query that forgets its WHERE then still sees only that tenant's rows, and a
-- transaction that names no tenant sees none. This migration needs a superuser, as 0001 does for pgvector.

-- Roles belong to the whole cluster, and several databases (test runs, deployments) may run this at the same
-- moment: whoever loses the race to create the role finds it created, which is all that is needed.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'groundwork_app') THEN
    CREATE ROLE groundwork_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
EXCEPTION
  -- duplicate_object when the other creator had committed before our check, unique_violation when not yet.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- A role of that name made by someone else with the power to skip the policies would silently void them.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'groundwork_app' AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'role groundwork_app exists but is a superuser or bypasses row-level security; row-level security would not apply';
  END IF;
END
$$;

-- Each transaction's tenant: '*' for every tenant (admin keys, and system work that spans tenants), and no
-- rows at all when it named none (unset, or '' once an earlier transaction's SET LOCAL has ended).
CREATE FUNCTION groundwork_tenant_visible(row_tenant text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE coalesce(current_setting('groundwork.tenant', true), '')
           WHEN '' THEN false
           WHEN '*' THEN true
           ELSE row_tenant = current_setting('groundwork.tenant', true)
         END
$$;

-- FORCE: the policies bind the tables' owner too (when it is not a superuser). FOR ALL policies without WITH
-- CHECK use their USING condition for new rows as well, so no tenant can write a row it could not read.
ALTER TABLE collections ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON collections USING (groundwork_tenant_visible(tenant));

ALTER TABLE documents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents USING (groundwork_tenant_visible(tenant));

ALTER TABLE query_logs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON query_logs USING (groundwork_tenant_visible(tenant));

-- Chunks and the BM25 statistics are scoped through their collection, whose own policy decides: the subquery
-- is a hash of the tenant's few collections, built once per statement, so searches pay one hash probe per
-- row. A tenant column on chunks would mean rewriting every chunk and carrying it in every write.
ALTER TABLE chunks ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chunks USING (collection_id IN (SELECT id FROM collections));

ALTER TABLE bm25_collection_stats ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bm25_collection_stats USING (collection_id IN (SELECT id FROM collections));

ALTER TABLE bm25_lexeme_stats ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bm25_lexeme_stats USING (collection_id IN (SELECT id FROM collections));

-- Pages through their document: they are read a window of one document at a time, so a primary-key probe per
-- row beats hashing every document of the tenant.
ALTER TABLE document_pages ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_pages USING (EXISTS (SELECT 1 FROM documents d WHERE d.id = document_pages.document_id));

-- api_keys and audit_log have no policies: keys are looked up before anyone's tenant is known, and the audit
-- log is read by admin keys only. Foreign-key checks and cascades bypass the policies (PostgreSQL's rule), so
-- deleting a document still removes its pages and chunks, and the statistics triggers see those deletes.

-- Only what the application does. The BM25 statistics are written by the triggers on chunks (0005), which run
-- as whoever writes the chunks; pages are only deleted by the cascade from documents.
GRANT USAGE ON SCHEMA public TO groundwork_app;
GRANT SELECT, INSERT, UPDATE ON collections TO groundwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO groundwork_app;
GRANT SELECT, INSERT, UPDATE ON document_pages TO groundwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON chunks TO groundwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON bm25_collection_stats, bm25_lexeme_stats TO groundwork_app;
GRANT SELECT, INSERT, DELETE ON query_logs TO groundwork_app;
GRANT SELECT, INSERT, UPDATE ON api_keys TO groundwork_app;
GRANT SELECT, INSERT ON audit_log TO groundwork_app;
GRANT USAGE ON SEQUENCE chunks_id_seq, query_logs_id_seq, audit_log_id_seq TO groundwork_app;
GRANT EXECUTE ON FUNCTION
  groundwork_tenant_visible(text),
  tsvector_token_count(tsvector),
  bm25_terms(tsvector),
  bm25_collection_terms(uuid, tsvector),
  bm25_apply_chunk_changes(uuid[], integer[], tsvector[], integer[]),
  bm25_count_inserted_chunks(),
  bm25_count_deleted_chunks(),
  bm25_count_updated_chunks()
TO groundwork_app;

-- Under row-level security PostgreSQL uses an index for a condition only if every function in it is LEAKPROOF
-- (otherwise the function could see rows the policy hides before the policy runs). Keyword search finds its
-- candidates with `bm25_collection_terms(collection_id, tsv) @@ tsquery` over a GIN index; without these two
-- lines that becomes a scan of every chunk of every tenant (2 s instead of 0.3 ms on 6,600 chunks). Both are
-- leakproof in fact: ts_match_vq only answers true or false and raises no error that depends on its arguments,
-- and bm25_collection_terms is deterministic and has already run without error on every stored row (its result
-- is that row's index entry). A superuser's setting, per database: pg_dump does not carry it for ts_match_vq,
-- so a database restored from a dump needs the first line again (keyword search is slow, not unsafe, without).
ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
ALTER FUNCTION bm25_collection_terms(uuid, tsvector) LEAKPROOF;
