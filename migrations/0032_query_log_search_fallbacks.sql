-- Why a question was answered from the keyword list alone instead of the fused lists it asked for (today only
-- 'embedding_unavailable': the embedding provider was out); null when its search ran as asked. The response says
-- so; the log keeps it so that an operator can count the answers an outage degraded.
ALTER TABLE query_logs
  ADD COLUMN search_fallback text CHECK (search_fallback IN ('embedding_unavailable'));
