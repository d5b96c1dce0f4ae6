-- Replacing a document (PUT /v1/documents/:id): the new file is ingested as a pending version while the
-- current one keeps answering, and the two swap in one transaction when the new one is ready
-- (DocumentTransitions.replace). `version` counts the swaps (1 for a first upload), `replaced_at` is the last.
ALTER TABLE documents ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);
ALTER TABLE documents ADD COLUMN replaced_at timestamptz;

-- A pending version is a documents row of its own (its pages and chunks need a document to belong to, and the
-- whole ingestion pipeline works on one) that names the document it replaces. Search never shows it: it never
-- becomes `ready` itself (the swap moves its pages and chunks to the replaced document and deletes it), and
-- listings and reads by id leave it out. NO ACTION, not CASCADE: a cascaded row would not mark its blob for
-- the collector; every deletion names pending versions itself (DocumentsRepository.delete), and a statement
-- deleting both rows (a whole collection) passes the check at its end.
ALTER TABLE documents ADD COLUMN replaces uuid REFERENCES documents (id);
-- One pending version per document: a newer PUT supersedes (deletes) the older one in its transaction.
CREATE UNIQUE INDEX documents_replaces_idx ON documents (replaces) WHERE replaces IS NOT NULL;

-- The swap deletes the replaced version's pages itself (until now pages went only by cascade with their document).
GRANT DELETE ON document_pages TO groundwork_app;
