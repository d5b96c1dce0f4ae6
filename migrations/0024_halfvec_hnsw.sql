-- Vector search walks an HNSW index over halfvec (ChunksRepository.ensureVectorIndex, which now names its index
-- chunks_embedding_halfvec_hnsw_<dim>): a third of the `vector` index's size, cheaper distances, and up to 4,000
-- dimensions where `vector`'s HNSW stops at 2,000. Searches order by the halfvec expression, so the old
-- chunks_embedding_hnsw_<dim> indexes would only cost writes.
--
-- Each dimension that had an index gets its halfvec index here, before the old ones are dropped, so every
-- collection keeps an index (ensureVectorIndex builds only the configured dimension's) and the build happens once,
-- on the first start after the upgrade, as the first index of a fresh install does. While it builds, readers still
-- use the old indexes (CREATE INDEX lets reads through) and chunk writes wait; the drops come last, so the lock
-- that blocks readers is held only from the drop to the commit. The build is about as long as the old index's
-- (13,040 chunks of 1,024 dimensions on a 2-core machine: 20 s without parallel workers, 24 s for `vector`; the
-- api's first start with this migration took 9 s in all); much longer for millions of chunks, in which
-- case build the halfvec indexes with CREATE INDEX CONCURRENTLY (same names and definitions) before upgrading, and
-- this migration only drops the old ones.
DO $$
DECLARE
  old text;
  dim int;
BEGIN
  FOR old IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'chunks'::regclass AND i.relname ~ '^chunks_embedding_hnsw_[0-9]+$' LOOP
    dim := substring(old FROM '[0-9]+$')::int;
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS chunks_embedding_halfvec_hnsw_%s ON chunks '
      'USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops) WHERE embedding_dim = %s', dim, dim, dim);
  END LOOP;
  FOR old IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'chunks'::regclass AND i.relname ~ '^chunks_embedding_hnsw_[0-9]+$' LOOP
    EXECUTE format('DROP INDEX %I', old);
  END LOOP;
END
$$;
