-- chunk_vectors split by collection: 16 hash partitions, each with its own HNSW graph per dimension.
--
-- Until now every collection of a dimension shared one graph, and a vector list walks it past every other
-- collection's chunks it meets. A question whose nearest chunks are another collection's (a small collection
-- beside a large one on the same subjects, or a question off its collection's subject) walks far: ArguAna chunk
-- vectors searched in NFCorpus (a load of both, a 50-deep list at ef_search 100, pgbench) took 14.1–15.3 ms a
-- list over the shared graph against 2.7–2.9 ms over NFCorpus's partition, and a tenant's list got slower as
-- other tenants loaded more. Partitioned, a list walks only its collection's partition: the repository's
-- statements name the collection on chunk_vectors, and PostgreSQL prunes the others (at execution for the
-- prepared hybrid statement's generic plan). A partition is shared by the collections that hash to it; a fixed
-- number needs no DDL when a collection is created, and keeps the plans' partition lists short.
--
-- Writes to chunks wait for this migration (their triggers write chunk_vectors); searches go on reading the old
-- table until the swap at the end. The copy and each index build take about as long as 0026's did.
LOCK TABLE chunks IN SHARE MODE;

CREATE TABLE chunk_vectors_by_collection (
  chunk_id      bigint NOT NULL,
  collection_id uuid NOT NULL,
  embedding_dim integer NOT NULL,
  embedding     halfvec NOT NULL,
  PRIMARY KEY (collection_id, chunk_id)
) PARTITION BY HASH (collection_id);
-- Inline, as 0026 explains; partitions take the column's storage from here.
ALTER TABLE chunk_vectors_by_collection ALTER COLUMN embedding SET STORAGE PLAIN;

DO $$
BEGIN
  FOR remainder IN 0..15 LOOP
    EXECUTE format('CREATE TABLE chunk_vectors_%s PARTITION OF chunk_vectors_by_collection '
                   'FOR VALUES WITH (MODULUS 16, REMAINDER %s)', remainder, remainder);
  END LOOP;
END
$$;

INSERT INTO chunk_vectors_by_collection (chunk_id, collection_id, embedding_dim, embedding)
SELECT chunk_id, collection_id, embedding_dim, embedding FROM chunk_vectors;

-- Each dimension indexed on the old table is indexed here (one HNSW index per partition), under a temporary name.
DO $$
DECLARE
  dim int;
BEGIN
  FOR dim IN SELECT substring(i.relname FROM '[0-9]+$')::int FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'chunk_vectors'::regclass AND i.relname ~ '^chunk_vectors_hnsw_[0-9]+$' LOOP
    EXECUTE format(
      'CREATE INDEX chunk_vectors_by_collection_hnsw_%s ON chunk_vectors_by_collection '
      'USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops) WHERE embedding_dim = %s', dim, dim, dim);
  END LOOP;
END
$$;

-- The swap: the old table goes with its indexes, policy and grants; the new one takes its names.
DROP TABLE chunk_vectors;
ALTER TABLE chunk_vectors_by_collection RENAME TO chunk_vectors;
ALTER TABLE chunk_vectors RENAME CONSTRAINT chunk_vectors_by_collection_pkey TO chunk_vectors_pkey;
DO $$
DECLARE
  index_name text;
BEGIN
  FOR index_name IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                    WHERE x.indrelid = 'chunk_vectors'::regclass AND i.relname ~ '^chunk_vectors_by_collection_hnsw_[0-9]+$' LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', index_name, replace(index_name, '_by_collection', ''));
  END LOOP;
END
$$;

-- Scoped through its collection, as before. Read and written only through this table: the partitions have no
-- grants of their own, so the application cannot reach them past the policy.
ALTER TABLE chunk_vectors ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chunk_vectors USING (collection_id IN (SELECT id FROM collections));
GRANT SELECT, INSERT, UPDATE, DELETE ON chunk_vectors TO groundwork_app;

-- The triggers' updates and deletes name each row's collection too, so each goes to its partition's key.
CREATE OR REPLACE FUNCTION chunk_vectors_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunk_vectors v
  SET collection_id = n.collection_id, embedding_dim = n.embedding_dim, embedding = n.embedding::halfvec
  FROM old_chunks o JOIN new_chunks n ON n.id = o.id
  WHERE v.collection_id = o.collection_id AND v.chunk_id = o.id
    AND (o.collection_id <> n.collection_id OR o.embedding_dim <> n.embedding_dim OR o.embedding <> n.embedding);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chunk_vectors_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM chunk_vectors v USING old_chunks o WHERE v.collection_id = o.collection_id AND v.chunk_id = o.id;
  RETURN NULL;
END
$$;
