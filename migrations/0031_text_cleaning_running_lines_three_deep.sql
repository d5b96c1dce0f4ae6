-- Text cleaning version 5 (TEXT_CLEANING_VERSION in libs/chunking): running headers and footers are looked for
-- three lines deep from a page's edge, not two, so the chunks a PDF gives change.
-- New documents get the new version; documents cleaned with an older one are not copied to new twins (see 0013).
ALTER TABLE documents ALTER COLUMN text_cleaning SET DEFAULT 5;
