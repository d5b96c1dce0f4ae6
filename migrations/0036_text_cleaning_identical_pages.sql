-- Text cleaning version 6 (TEXT_CLEANING_VERSION in libs/chunking): a page the same as the one being cleaned is no
-- evidence that its edge lines are running headers or footers, so a PDF of identical pages keeps its text.
-- New documents get the new version; documents cleaned with an older one are not copied to new twins (see 0013).
ALTER TABLE documents ALTER COLUMN text_cleaning SET DEFAULT 6;
