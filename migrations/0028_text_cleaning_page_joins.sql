-- Text cleaning version 2 (TEXT_CLEANING_VERSION in libs/chunking): a PDF page that goes on with the previous
-- page's sentence is joined to it with a space instead of a paragraph break, so the chunks a file gives change.
-- New documents get the new version; documents chunked with version 1 are not copied to new twins (see 0013).
ALTER TABLE documents ALTER COLUMN text_cleaning SET DEFAULT 2;
