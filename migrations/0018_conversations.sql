-- Conversations (POST /v1/conversations, /v1/conversations/:id/messages): a tenant's series of questions and
-- grounded answers. Each turn keeps the question as asked, the standalone question that was searched (a
-- follow-up completed from the turn before), the answer and its citations. Kept CONVERSATION_RETENTION_DAYS
-- after their last turn; question and answer texts are redacted like query_logs when REDACT_PII is on.
CREATE TABLE conversations (
  id         uuid PRIMARY KEY,
  tenant     text NOT NULL,
  title      text NOT NULL DEFAULT '' CHECK (length(title) <= 300),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Listing walks (updated_at, id) newest first per tenant; retention finds the old ones by updated_at.
CREATE INDEX conversations_tenant_updated_idx ON conversations (tenant, updated_at DESC, id DESC);
CREATE INDEX conversations_updated_idx ON conversations (updated_at);

CREATE TABLE conversation_turns (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  turn            integer NOT NULL CHECK (turn > 0),
  collection      text NOT NULL,
  question        text NOT NULL,
  search_query    text NOT NULL,
  answer          text NOT NULL,
  citations       jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, turn)
);

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversations USING (groundwork_tenant_visible(tenant));
-- Turns through their conversation, as pages through their document.
ALTER TABLE conversation_turns ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversation_turns
  USING (EXISTS (SELECT 1 FROM conversations c WHERE c.id = conversation_turns.conversation_id));

GRANT SELECT, INSERT, UPDATE, DELETE ON conversations TO groundwork_app;
GRANT SELECT, INSERT ON conversation_turns TO groundwork_app;
