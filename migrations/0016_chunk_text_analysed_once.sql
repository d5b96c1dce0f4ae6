-- A chunk's text was analysed twice on every write: once for the generated `tsv` column and again for the
-- generated `tsv_length` (generated columns cannot read each other, 0005). to_tsvector('english') is the
-- costliest part of writing a chunk (about 0.5 ms for 1,600 characters), so both columns become plain columns
-- filled by one BEFORE trigger that analyses the text once. The trigger runs on every insert and on every
-- update that changes the text or either column, so no writer (ingestion, the dedupe copy, a hand-written
-- UPDATE) can store a tsvector or a length that does not match the text; an update that leaves all three alone
-- (a retried batch writing the same text) skips the analysis. Existing values are kept: they were computed by
-- the same expressions.
ALTER TABLE chunks ALTER COLUMN tsv DROP EXPRESSION;
ALTER TABLE chunks ALTER COLUMN tsv_length DROP EXPRESSION;

CREATE FUNCTION chunks_analyse_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.text = OLD.text AND NEW.tsv IS NOT DISTINCT FROM OLD.tsv
     AND NEW.tsv_length IS NOT DISTINCT FROM OLD.tsv_length THEN
    RETURN NEW;
  END IF;
  NEW.tsv := to_tsvector('english', NEW.text);
  NEW.tsv_length := tsvector_token_count(NEW.tsv);
  RETURN NEW;
END
$$;

CREATE TRIGGER chunks_analyse_text BEFORE INSERT OR UPDATE ON chunks
  FOR EACH ROW EXECUTE FUNCTION chunks_analyse_text();
