-- Collections as things users manage (GET/POST/PATCH /v1/collections): a description, and when the collection
-- itself last changed (its documents' own updated_at say when its content did).
ALTER TABLE collections
  ADD COLUMN description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
