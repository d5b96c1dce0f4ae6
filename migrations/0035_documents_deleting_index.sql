-- Every worker's reconciler looks, on each interval, for documents whose deletion was asked for (deleting_at)
-- and not carried out (AskedDeletionsReconciler). They are few, and only for a moment; without this index each
-- look would read the whole table.
CREATE INDEX documents_deleting_idx ON documents (deleting_at) WHERE deleting_at IS NOT NULL;
