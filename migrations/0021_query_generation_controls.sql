-- Generation controls and reranking in the query log: the model a request asked for (one of CHAT_MODELS; `model`
-- stays the one that answered, which a fallback can change), its temperature and max_tokens (null when the
-- request left them to the configuration), whether the sources were reranked (null when no rerank was asked
-- for) and the time the reranker took.
ALTER TABLE query_logs
  ADD COLUMN requested_model text CHECK (length(requested_model) <= 200),
  ADD COLUMN temperature real,
  ADD COLUMN max_tokens integer,
  ADD COLUMN reranked boolean,
  ADD COLUMN rerank_ms integer NOT NULL DEFAULT 0;
