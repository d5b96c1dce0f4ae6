-- One owner for the blob lifecycle (libs/database/src/blobs.repository.ts). Every stored file has a row in
-- `blobs`; the documents that name it are its references (a foreign key, so no document can name a blob
-- without a row); an upload between publishing the file and inserting its document holds a `blob_claims` row
-- until it does. A blob is removed from the store only by BlobsRepository.collect, under the row's lock, when
-- no document names it and no claim is live. See that file for the full argument.
--
-- No row-level security on either table: a blob is content-addressed and shared by every tenant that
-- uploaded the same bytes, so it belongs to none. Neither table is ever shown to a client; what a tenant
-- sees of a blob is through its own documents, which row-level security still guards.

CREATE TABLE blobs (
  -- No format check here: the stores refuse anything but a hex digest, and a check would stop this migration on
  -- a database whose benchmark documents name made-up hashes.
  sha256        text PRIMARY KEY,
  size          bigint NOT NULL CHECK (size >= 0),
  -- Which BlobStore holds the content (BLOB_STORE when it was first published).
  backend       text NOT NULL CHECK (backend IN ('local', 'postgres', 's3')),
  -- The earliest time the collector should look at the blob: set when a document naming it is deleted and
  -- when an upload claims it (to the claim's expiry, for an upload that dies holding it); cleared by the
  -- collector once it finds the blob still named. NULL: nothing to look at.
  collect_after timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blobs_collect_idx ON blobs (sha256) WHERE collect_after IS NOT NULL;

-- An upload in flight: made before the file is published, redeemed (deleted) in the transaction that inserts
-- the document. One row per upload rather than a counter: an upload that dies leaves a row that expires,
-- where a counter would stay raised for ever or, repaired, could be decremented twice.
CREATE TABLE blob_claims (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sha256     text NOT NULL REFERENCES blobs (sha256) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
CREATE INDEX blob_claims_sha256_idx ON blob_claims (sha256);

-- Every blob a document names today was written by the local store (the only one there was).
INSERT INTO blobs (sha256, size, backend)
SELECT blob_sha256, max(byte_size), 'local' FROM documents GROUP BY blob_sha256;

-- RESTRICT: a blob row cannot go while a document names it (the collector checks first; this is the wall).
-- The check runs on documents_blob_idx (0001).
ALTER TABLE documents ADD CONSTRAINT documents_blob_sha256_fkey FOREIGN KEY (blob_sha256) REFERENCES blobs (sha256);

-- `cancelled` was allowed but never written: deleting a document removes it, and nothing stops an ingestion
-- while keeping the document. A status no code writes only misleads clients that filter on it.
ALTER TABLE documents DROP CONSTRAINT documents_status_check,
  ADD CONSTRAINT documents_status_check CHECK (status IN ('queued', 'processing', 'ready', 'failed'));

GRANT SELECT, INSERT, UPDATE, DELETE ON blobs, blob_claims TO groundwork_app;
