-- Text cleaning version 3 (TEXT_CLEANING_VERSION in libs/chunking): a PDF line that ends in a dash of the text's
-- own ("RISC-" / "V", "737–" / "9") is joined to the next line at the dash, so the chunks a file gives change.
-- New documents get the new version; documents chunked with an older one are not copied to new twins (see 0013).
ALTER TABLE documents ALTER COLUMN text_cleaning SET DEFAULT 3;
