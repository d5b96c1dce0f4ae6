-- BM25 keyword ranking (libs/database/src/bm25.ts, bm25-candidates.ts). Besides each chunk's term frequencies
-- (its tsvector) BM25 needs the chunk's length and per-collection statistics: how many chunks there are,
-- their total length, and how many chunks contain each term. Statement-level triggers on `chunks` keep the
-- statistics exact in the same transaction as every write, whatever issues it (ingestion upserts,
-- re-ingestion, deletes cascading from documents), so no application code can forget them.

-- A chunk's length as BM25 counts a document's length: every occurrence of every indexed word (stop words
-- excluded). PostgreSQL keeps at most 255 positions per lexeme, far more than a chunk holds of one word.
CREATE FUNCTION tsvector_token_count(vector tsvector) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(sum(cardinality(positions)), 0)::integer FROM unnest(vector)
$$;

-- Generated columns cannot read other generated columns, so the text is analysed again rather than `tsv`.
ALTER TABLE chunks
  ADD COLUMN tsv_length integer NOT NULL GENERATED ALWAYS AS (tsvector_token_count(to_tsvector('english', text))) STORED;

-- The terms a chunk is indexed under: each lexeme, and 'lexeme N' for N = 2, 4, 8, 16 when the lexeme occurs at
-- least N times. The levels bound how much a term can add to a chunk's score, which lets a search skip chunks
-- that cannot reach its top k (bm25-candidates.ts; TF_LEVELS there must list the same levels). A lexeme
-- contains no space, so 'lexeme N' never collides with a real one. Lexemes over 1,000 bytes (base64 runs)
-- are left out: they would overflow the index entry with the prefix below, and no question contains them.
CREATE FUNCTION bm25_terms(vector tsvector) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ARRAY(SELECT v.lexeme FROM unnest(vector) AS v WHERE octet_length(v.lexeme) <= 1000)
      || ARRAY(SELECT v.lexeme || ' ' || level
               FROM unnest(vector) AS v, unnest('{2,4,8,16}'::integer[]) AS level
               WHERE level <= cardinality(v.positions) AND octet_length(v.lexeme) <= 1000)
$$;

-- The same terms prefixed with the collection id: one GIN index then holds a separate inverted index per
-- collection, so a search never walks another collection's postings (btree_gin would need an extension).
CREATE FUNCTION bm25_collection_terms(collection_id uuid, vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY(SELECT collection_id::text || ' ' || term FROM unnest(bm25_terms(vector)) AS term))
$$;

CREATE INDEX chunks_bm25_terms_idx ON chunks USING gin (bm25_collection_terms(collection_id, tsv));
-- Keyword search now finds its candidates through the index above; this one would only slow down writes.
DROP INDEX chunks_tsv_idx;

CREATE TABLE bm25_collection_stats (
  collection_id uuid PRIMARY KEY REFERENCES collections (id) ON DELETE CASCADE,
  chunk_count   bigint NOT NULL CHECK (chunk_count >= 0),
  -- Sum of tsv_length over the collection's chunks: average length = token_count / chunk_count.
  token_count   bigint NOT NULL CHECK (token_count >= 0)
);

-- Chunks per term (bm25_terms) per collection: a lexeme's document frequency, and for 'lexeme N' the chunks
-- holding it at least N times. A term no chunk has any more has no row.
CREATE TABLE bm25_lexeme_stats (
  collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  lexeme        text NOT NULL,
  chunk_count   bigint NOT NULL CHECK (chunk_count > 0),
  PRIMARY KEY (collection_id, lexeme)
);

-- Adds (+1) or removes (-1) chunks from the statistics; the arrays are parallel, one element per chunk.
CREATE FUNCTION bm25_apply_chunk_changes(collection_ids uuid[], signs integer[], vectors tsvector[], lengths integer[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  unmatched bigint;
BEGIN
  INSERT INTO bm25_collection_stats (collection_id, chunk_count, token_count)
  SELECT DISTINCT collection_id, 0, 0 FROM unnest(collection_ids) AS c (collection_id)
  ORDER BY collection_id
  ON CONFLICT (collection_id) DO NOTHING;

  -- Every writer locks the collection's row before any term row, so writers to one collection take turns on
  -- the statistics and never hold term rows that another writer waits for: concurrent ingests cannot
  -- deadlock on the common lexemes they share, even across several statements of one transaction. Locking in
  -- id order keeps that true for a statement that touches several collections.
  PERFORM 1 FROM bm25_collection_stats
  WHERE collection_id = ANY (collection_ids)
  ORDER BY collection_id
  FOR UPDATE;

  UPDATE bm25_collection_stats s
  SET chunk_count = s.chunk_count + d.chunks, token_count = s.token_count + d.tokens
  FROM (
    SELECT collection_id, sum(sign) AS chunks, sum(sign * length) AS tokens
    FROM unnest(collection_ids, signs, lengths) AS c (collection_id, sign, length)
    GROUP BY collection_id
  ) d
  WHERE s.collection_id = d.collection_id;

  -- Each term row is either removed (its last chunk went), changed, or added. Removing a term that has no row,
  -- or more chunks than it has, means the statistics are out of step: fail loudly rather than skew them.
  WITH deltas AS (
    SELECT c.collection_id, t.term, sum(c.sign) AS delta
    FROM unnest(collection_ids, signs, vectors) AS c (collection_id, sign, vector),
         unnest(bm25_terms(c.vector)) AS t (term)
    GROUP BY c.collection_id, t.term
    HAVING sum(c.sign) <> 0
  ), emptied AS (
    DELETE FROM bm25_lexeme_stats s USING deltas d
    WHERE s.collection_id = d.collection_id AND s.lexeme = d.term AND d.delta < 0 AND s.chunk_count + d.delta = 0
    RETURNING 1
  ), lowered AS (
    UPDATE bm25_lexeme_stats s SET chunk_count = s.chunk_count + d.delta FROM deltas d
    WHERE s.collection_id = d.collection_id AND s.lexeme = d.term AND d.delta < 0 AND s.chunk_count + d.delta > 0
    RETURNING 1
  ), raised AS (
    INSERT INTO bm25_lexeme_stats AS s (collection_id, lexeme, chunk_count)
    SELECT collection_id, term, delta FROM deltas WHERE delta > 0
    ON CONFLICT (collection_id, lexeme) DO UPDATE SET chunk_count = s.chunk_count + EXCLUDED.chunk_count
  )
  SELECT (SELECT count(*) FROM deltas WHERE delta < 0) - (SELECT count(*) FROM emptied) - (SELECT count(*) FROM lowered)
  INTO unmatched;
  IF unmatched > 0 THEN
    RAISE EXCEPTION 'bm25_lexeme_stats is out of step with chunks: % terms to remove have too few chunks', unmatched;
  END IF;
END
$$;

CREATE FUNCTION bm25_count_inserted_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bm25_apply_chunk_changes(array_agg(collection_id), array_agg(1), array_agg(tsv), array_agg(tsv_length))
  FROM new_chunks
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION bm25_count_deleted_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bm25_apply_chunk_changes(array_agg(collection_id), array_agg(-1), array_agg(tsv), array_agg(tsv_length))
  FROM old_chunks
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

-- An update counts as removing the old chunk and adding the new one; rows whose text and collection did not
-- change are left out, so updating other columns costs nothing.
CREATE FUNCTION bm25_count_updated_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bm25_apply_chunk_changes(array_agg(c.collection_id), array_agg(c.sign), array_agg(c.tsv), array_agg(c.tsv_length))
  FROM old_chunks o
  JOIN new_chunks n ON n.id = o.id
  CROSS JOIN LATERAL (VALUES (o.collection_id, -1, o.tsv, o.tsv_length), (n.collection_id, 1, n.tsv, n.tsv_length))
    AS c (collection_id, sign, tsv, tsv_length)
  WHERE o.collection_id <> n.collection_id OR o.tsv <> n.tsv
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION bm25_reset_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM bm25_lexeme_stats;
  DELETE FROM bm25_collection_stats;
  RETURN NULL;
END
$$;

-- PostgreSQL allows transition tables only on single-event triggers, hence one trigger per event.
CREATE TRIGGER chunks_bm25_insert AFTER INSERT ON chunks
  REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION bm25_count_inserted_chunks();
CREATE TRIGGER chunks_bm25_delete AFTER DELETE ON chunks
  REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT EXECUTE FUNCTION bm25_count_deleted_chunks();
CREATE TRIGGER chunks_bm25_update AFTER UPDATE ON chunks
  REFERENCING OLD TABLE AS old_chunks NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION bm25_count_updated_chunks();
CREATE TRIGGER chunks_bm25_truncate AFTER TRUNCATE ON chunks
  FOR EACH STATEMENT EXECUTE FUNCTION bm25_reset_stats();

-- Chunks stored before this migration. ALTER TABLE above holds chunks exclusively until this transaction
-- commits, so no write can slip between this count and the triggers.
INSERT INTO bm25_collection_stats (collection_id, chunk_count, token_count)
SELECT collection_id, count(*), sum(tsv_length) FROM chunks GROUP BY collection_id;

INSERT INTO bm25_lexeme_stats (collection_id, lexeme, chunk_count)
SELECT c.collection_id, t.term, count(*)
FROM chunks c, unnest(bm25_terms(c.tsv)) AS t (term)
GROUP BY c.collection_id, t.term;
