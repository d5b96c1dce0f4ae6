-- GET /v1/admin/api-keys pages newest first by (created_at, id); without this index every page sorted every key
-- (50,000 keys came back as one 9 MB response before the list was paged).
CREATE INDEX api_keys_created_idx ON api_keys (created_at DESC, id DESC);
