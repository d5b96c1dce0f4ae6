-- Groundwork schema: collections of documents, their extracted pages and embedded chunks.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE collections (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL UNIQUE,
  -- An index built with one embedding model must never be queried with another.
  embedding_model text NOT NULL,
  embedding_dim   integer NOT NULL CHECK (embedding_dim > 0),
  -- Bumped on every change to the collection's content; answer caches key on it.
  content_version bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
  id              uuid PRIMARY KEY,
  collection_id   uuid NOT NULL REFERENCES collections (id),
  title           text NOT NULL,
  filename        text,
  media_type      text NOT NULL CHECK (media_type IN ('application/pdf', 'text/markdown', 'text/plain')),
  blob_sha256     text NOT NULL,
  byte_size       bigint NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  chunk_tokens    integer NOT NULL,
  chunk_overlap   integer NOT NULL,
  status          text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'processing', 'ready', 'failed', 'cancelled')),
  stage           text NOT NULL DEFAULT 'queued'
                  CHECK (stage IN ('queued', 'extract', 'embed', 'finalize', 'done')),
  job_id          text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  pages_total     integer,
  pages_done      integer NOT NULL DEFAULT 0,
  chunks_total    integer,
  chunks_done     integer NOT NULL DEFAULT 0,
  -- Pages whose chunks are embedded and stored: the progress of the embed stage.
  pages_embedded  integer NOT NULL DEFAULT 0,
  error_code      text,
  error_message   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz
);
-- Cursor pagination walks (created_at, id) newest first.
CREATE INDEX documents_collection_created_idx ON documents (collection_id, created_at DESC, id DESC);
CREATE INDEX documents_created_idx ON documents (created_at DESC, id DESC);
CREATE INDEX documents_status_idx ON documents (status);
CREATE INDEX documents_blob_idx ON documents (blob_sha256);
CREATE UNIQUE INDEX documents_job_id_idx ON documents (job_id);
CREATE INDEX documents_metadata_idx ON documents USING gin (metadata jsonb_path_ops);

-- One row per extracted page (PDF) or section (Markdown / text): the extraction checkpoint, and the input
-- of chunking, so a restarted job re-chunks from here instead of re-reading the file.
CREATE TABLE document_pages (
  document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  page_number integer NOT NULL CHECK (page_number > 0),
  text        text NOT NULL,
  PRIMARY KEY (document_id, page_number)
);

CREATE TABLE chunks (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id   uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  collection_id uuid NOT NULL REFERENCES collections (id),
  ordinal       integer NOT NULL CHECK (ordinal >= 0),
  text          text NOT NULL,
  page_start    integer NOT NULL,
  page_end      integer NOT NULL CHECK (page_end >= page_start),
  token_count   integer NOT NULL,
  -- Untyped so collections with different models can coexist; each dimension gets its own partial HNSW
  -- index on embedding::vector(n) (see ChunksRepository.ensureVectorIndex).
  embedding     vector NOT NULL,
  embedding_dim integer NOT NULL,
  tsv           tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_collection_idx ON chunks (collection_id);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);
