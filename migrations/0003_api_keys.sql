-- API keys. Only a SHA-256 digest of each key is stored; `prefix` is the key's public, non-secret head,
-- shown in listings and used to find the row before the digest is compared in constant time.
CREATE TABLE api_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('admin', 'member', 'reader')),
  -- NULL: not bound to one tenant (the operator's admin key). Tenant-scoped keys arrive with multi-tenancy.
  tenant      text,
  prefix      text NOT NULL UNIQUE,
  key_sha256  bytea NOT NULL UNIQUE CHECK (octet_length(key_sha256) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX api_keys_active_role_idx ON api_keys (role) WHERE revoked_at IS NULL;
