-- Every worker's reconciler looks for deletion jobs left waiting or active without a live BullMQ job, a page by
-- id on each interval. Finished jobs are kept (GET /v1/jobs/:id reads them), so without this index each look
-- would read them all; the unfinished ones are few.
CREATE INDEX deletion_jobs_unfinished_idx ON deletion_jobs (id) WHERE state IN ('waiting', 'active');
