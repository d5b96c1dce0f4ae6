-- One row per answered (or failed) query: latency split, tokens, model, cache use, outcome.
CREATE TABLE query_logs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id     uuid REFERENCES collections (id) ON DELETE SET NULL,
  query_text        text NOT NULL,
  mode              text NOT NULL,
  top_k             integer NOT NULL,
  source_count      integer NOT NULL DEFAULT 0,
  model             text,
  prompt_tokens     integer NOT NULL DEFAULT 0,
  completion_tokens integer NOT NULL DEFAULT 0,
  cost_usd          numeric(12, 6),
  cache_hit         text CHECK (cache_hit IN ('exact', 'semantic')),
  retrieval_ms      integer NOT NULL DEFAULT 0,
  generation_ms     integer NOT NULL DEFAULT 0,
  total_ms          integer NOT NULL DEFAULT 0,
  streamed          boolean NOT NULL DEFAULT false,
  outcome           text NOT NULL CHECK (outcome IN ('answered', 'no_sources', 'failed', 'client_closed')),
  error_code        text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX query_logs_created_idx ON query_logs (created_at);
