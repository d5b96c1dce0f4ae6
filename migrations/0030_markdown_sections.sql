-- Text cleaning version 4 (TEXT_CLEANING_VERSION in libs/chunking): a Markdown heading starts a section only once
-- the section before holds 1,000 characters, so the pages and chunks a Markdown or text file gives change.
-- New documents get the new version; documents split with an older one are not copied to new twins (see 0013).
ALTER TABLE documents ALTER COLUMN text_cleaning SET DEFAULT 4;
