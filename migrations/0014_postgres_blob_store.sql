-- The PostgreSQL blob store (BLOB_STORE=postgres, libs/storage/src/postgres-blob-store.ts), the only writer of
-- these two tables: uploaded files kept in the database, so a worker on another machine needs nothing but
-- DATABASE_URL and REDIS_URL to read them.
--
-- A file is a row of blob_contents and its bytes in parts of at most 1 MiB, so it is written and read as a
-- stream (one part per statement) and never sits whole in anyone's memory. A staged upload has no sha256 yet;
-- committing publishes it under its hash, unique, so identical content is kept once.
CREATE TABLE blob_contents (
  id uuid PRIMARY KEY,
  sha256 text UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint NOT NULL DEFAULT 0,
  -- When a staged upload last wrote a part: the sweep removes staged uploads left unwritten by a crash.
  written_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blob_contents_staged ON blob_contents (written_at) WHERE sha256 IS NULL;

CREATE TABLE blob_content_parts (
  content_id uuid NOT NULL REFERENCES blob_contents (id) ON DELETE CASCADE,
  part integer NOT NULL CHECK (part >= 0),
  data bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 1048576),
  PRIMARY KEY (content_id, part)
);

-- No row-level security here, on purpose. Blobs are content-addressed and shared across tenants (two tenants
-- uploading the same file share one copy), so a blob has no single tenant a policy could test. Tenants are
-- kept apart one step earlier: a blob is only ever reached through a document row, which the documents
-- policy (0009) already scopes, and no API reads a blob by hash. The store's connections run as
-- groundwork_app like every other, with only the rights it uses.
GRANT SELECT, INSERT, UPDATE, DELETE ON blob_contents, blob_content_parts TO groundwork_app;
