-- The per-dimension HNSW indexes on chunks are built with m = 12, ef_construction = 64 instead of pgvector's
-- defaults (16, 64): inserting into the graph was most of PostgreSQL's CPU while ingesting, m 12 takes about a
-- third off a chunk's write, and dev-split ranking did not move beyond noise (figures in
-- libs/database/src/hnsw-build-parameters.ts, whose constants ChunksRepository.ensureVectorIndex uses for new
-- indexes: keep the numbers here the same).
--
-- The indexes are made at start-up, one per embedding dimension in use (ensureVectorIndex), so there may be
-- none, one or several: each one not already built with these parameters gets them and is rebuilt. m is fixed
-- when the graph is built, so only a rebuild applies it. REINDEX blocks writes to chunks and vector searches
-- for as long as the rebuild takes (about what building the index took, less with the smaller graph), once,
-- while this migration holds the start-up of every process.
DO $$
DECLARE
  index_name text;
BEGIN
  FOR index_name IN
    SELECT c.relname
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am a ON a.oid = c.relam
    WHERE i.indrelid = 'chunks'::regclass
      AND a.amname = 'hnsw'
      AND c.relname LIKE 'chunks\_embedding\_hnsw\_%'
      AND NOT coalesce(c.reloptions @> ARRAY['m=12', 'ef_construction=64'], false)
    ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER INDEX %I SET (m = 12, ef_construction = 64)', index_name);
    EXECUTE format('REINDEX INDEX %I', index_name);
  END LOOP;
END
$$;
