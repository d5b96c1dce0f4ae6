-- A deletion is asked for before it is made: DocumentsRepository.delete sets deleting_at in a transaction of its
-- own, then locks and deletes the row. Ingestion's chunk writes hold FOR KEY SHARE on the document's row (their
-- foreign-key checks) one transaction after another, which FOR UPDATE and DELETE wait for and, with writes always
-- overlapping, never got: a DELETE waited minutes, its pooled connection with it. An update of a non-key column
-- waits for none of them, and the worker, polling for the document, sees the request and stops its writes.
ALTER TABLE documents ADD COLUMN deleting_at timestamptz;
