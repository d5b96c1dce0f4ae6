-- Keyword search finds its candidates with `bm25_collection_terms(collection_id, tsv) @@ tsquery` over
-- chunks_bm25_terms_idx. Once ANALYZE has run (autovacuum does it on any real server), PostgreSQL keeps
-- statistics of that index's expression, and for a long question (up to 32 OR'ed operands) it estimates that
-- most chunks match: a bitmap scan is then charged the recheck of every fetched row, and a sequential scan that
-- recomputes bm25_collection_terms for every chunk of every collection looks no dearer. That plan is the slow
-- one by orders of magnitude (the GIN scan needs no recheck for an OR of plain lexemes): on NFCorpus and ArguAna
-- in one database (13,040 chunks), ArguAna's long dev questions went from about 260 to 1,350 ms of PostgreSQL
-- CPU each, one 265-word question from 4.5 to 28 s. Without statistics for the expression the planner uses its
-- fixed estimate for @@ (0.5 % of rows), which keeps the index scan, as the planner chose before any ANALYZE
-- and as every figure in the README was measured. The table's own statistics (row counts, documents' columns)
-- are still gathered.
--
-- Statistics an earlier ANALYZE gathered stay in pg_statistic after the target is set to 0, and reading them
-- needs no new ANALYZE; removing them directly needs a superuser. So where there are some, the index is built
-- again (dropping an index drops its statistics): once, on databases that autovacuum has analysed.
--
-- A database restored with pg_restore from a release before 0022 may have no such index: there
-- bm25_collection_terms called bm25_terms without naming its schema, which pg_restore's empty search_path cannot
-- find, so the index failed to restore (pg_restore counts it among "errors ignored") and this migration stopped
-- every later start ("relation chunks_bm25_terms_idx does not exist"). 0022's function names no other, so the
-- index is built here when it is missing.
CREATE INDEX IF NOT EXISTS chunks_bm25_terms_idx ON chunks USING gin (bm25_collection_terms(collection_id, tsv));
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'chunks_bm25_terms_idx') THEN
    DROP INDEX chunks_bm25_terms_idx;
    CREATE INDEX chunks_bm25_terms_idx ON chunks USING gin (bm25_collection_terms(collection_id, tsv));
  END IF;
END
$$;
ALTER INDEX chunks_bm25_terms_idx ALTER COLUMN 1 SET STATISTICS 0;
