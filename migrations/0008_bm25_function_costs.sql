-- The planner assumes a SQL function costs about as much as an operator and so may prefer recomputing
-- bm25_collection_terms for every chunk over reading its GIN index. These run in tens of microseconds per
-- chunk: saying so makes the index scan the obvious plan for keyword search.
ALTER FUNCTION bm25_terms(tsvector) COST 10000;
ALTER FUNCTION bm25_collection_terms(uuid, tsvector) COST 10000;
