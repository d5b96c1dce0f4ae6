-- Text cleaning (running headers and footers dropped, line-end hyphenation joined, ligatures and invisible
-- characters normalised) changes the chunks a file gives. Content dedupe copies a ready twin's chunks, so a
-- document must only be copied from a twin cleaned the same way: text_cleaning is the version of the cleaning
-- (TEXT_CLEANING_VERSION in libs/chunking) a document's chunks are made with. Documents that exist now were
-- chunked without any (0); new documents get the current version. A later change of the cleaning bumps the
-- constant and, in a new migration, this default.
ALTER TABLE documents ADD COLUMN text_cleaning smallint NOT NULL DEFAULT 0;
ALTER TABLE documents ALTER COLUMN text_cleaning SET DEFAULT 1;
