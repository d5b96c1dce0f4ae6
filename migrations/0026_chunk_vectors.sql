-- The vector list scores each row it returns by its halfvec distance. In chunks the vector is a 4 KiB `vector`
-- kept in TOAST, so every row of a list cost a TOAST lookup and a conversion to halfvec (`pg_detoast_datum` and
-- `vector_to_halfvec` were 9 % of a hybrid search's PostgreSQL CPU), and the HNSW walk's heap visits went to
-- the wide chunks rows. chunk_vectors holds each chunk's vector once more, as the halfvec the index orders by,
-- stored inline (PLAIN: a halfvec of 4,000 dimensions still fits a row of 8,060 bytes), and the HNSW indexes
-- move to it. Measured on NFCorpus (4,005 chunks of 1,024 dimensions, ArguAna's beside them), chunk vectors as
-- questions, a list of 100 at ef_search 100: 3.1–3.5 ms over chunks against 1.6 ms over a narrow table alone,
-- and with the list's joins to chunks and documents 6.2–6.8 against 4.4–5.1 ms (pgbench, 600 questions a round).
--
-- chunks keeps its `vector` column: the full-precision vector that feedback averages and the dedupe copy
-- copies. Statement-level triggers on chunks keep chunk_vectors in step with every write, whatever issues it
-- (ingestion upserts, the dedupe copy, deletes cascading from documents), as those of the BM25 statistics do.
CREATE TABLE chunk_vectors (
  chunk_id      bigint PRIMARY KEY,
  collection_id uuid NOT NULL,
  embedding_dim integer NOT NULL,
  embedding     halfvec NOT NULL
);
ALTER TABLE chunk_vectors ALTER COLUMN embedding SET STORAGE PLAIN;

CREATE FUNCTION chunk_vectors_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO chunk_vectors (chunk_id, collection_id, embedding_dim, embedding)
  SELECT id, collection_id, embedding_dim, embedding::halfvec FROM new_chunks;
  RETURN NULL;
END
$$;

-- Only rows whose vector or collection changed: a retried batch writing the same vectors, or a document's
-- chunks moved to another document (DocumentTransitions.replace), writes nothing here.
CREATE FUNCTION chunk_vectors_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunk_vectors v
  SET collection_id = n.collection_id, embedding_dim = n.embedding_dim, embedding = n.embedding::halfvec
  FROM old_chunks o JOIN new_chunks n ON n.id = o.id
  WHERE v.chunk_id = n.id
    AND (o.collection_id <> n.collection_id OR o.embedding_dim <> n.embedding_dim OR o.embedding <> n.embedding);
  RETURN NULL;
END
$$;

CREATE FUNCTION chunk_vectors_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM chunk_vectors v USING old_chunks o WHERE v.chunk_id = o.id;
  RETURN NULL;
END
$$;

CREATE FUNCTION chunk_vectors_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM chunk_vectors;
  RETURN NULL;
END
$$;

CREATE TRIGGER chunks_vectors_insert AFTER INSERT ON chunks
  REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_vectors_insert();
CREATE TRIGGER chunks_vectors_update AFTER UPDATE ON chunks
  REFERENCING OLD TABLE AS old_chunks NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_vectors_update();
CREATE TRIGGER chunks_vectors_delete AFTER DELETE ON chunks
  REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_vectors_delete();
CREATE TRIGGER chunks_vectors_truncate AFTER TRUNCATE ON chunks
  FOR EACH STATEMENT EXECUTE FUNCTION chunk_vectors_truncate();

-- Chunks stored before this migration. CREATE TRIGGER above keeps every write to chunks out until this
-- transaction commits, so none can slip between this copy and the triggers.
INSERT INTO chunk_vectors (chunk_id, collection_id, embedding_dim, embedding)
SELECT id, collection_id, embedding_dim, embedding::halfvec FROM chunks;

-- Scoped through its collection, as chunks are (0009).
ALTER TABLE chunk_vectors ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chunk_vectors USING (collection_id IN (SELECT id FROM collections));
-- Written only by the triggers, which run as whoever writes the chunks.
GRANT SELECT, INSERT, UPDATE, DELETE ON chunk_vectors TO groundwork_app;

-- Each dimension's index moves, built before the old ones are dropped (ChunksRepository.ensureVectorIndex
-- builds only the configured dimension's), as 0024 did: while they build, readers still use the old indexes and
-- chunk writes wait; the drops come last, so the lock that blocks readers is held only from the drop to the
-- commit. The copy and each build take about as long as the first build of that index did, once.
DO $$
DECLARE
  old text;
  dim int;
BEGIN
  FOR old IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'chunks'::regclass AND i.relname ~ '^chunks_embedding_halfvec_hnsw_[0-9]+$' LOOP
    dim := substring(old FROM '[0-9]+$')::int;
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS chunk_vectors_hnsw_%s ON chunk_vectors '
      'USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops) WHERE embedding_dim = %s', dim, dim, dim);
  END LOOP;
  FOR old IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'chunks'::regclass AND i.relname ~ '^chunks_embedding_halfvec_hnsw_[0-9]+$' LOOP
    EXECUTE format('DROP INDEX %I', old);
  END LOOP;
END
$$;
