/**
 * The build parameters of every per-dimension HNSW index on chunks: ChunksRepository.ensureVectorIndex creates
 * new indexes with them, and migration 0022 rebuilt the older ones (pgvector's defaults, m 16 and
 * ef_construction 64) with them. Migration 0022 spells the same numbers: change both together (the
 * hnsw-build-parameters test checks that they agree).
 *
 * Why m 12: inserting into the HNSW graph is most of what PostgreSQL spends writing a chunk, and its cost grows
 * faster than m (a new element links to up to 2·m neighbours on the lowest layer, and each neighbour whose list
 * is full picks its 2·m again among 2·m + 1 candidates); ef_construction matters far less. bench:chunk-writes,
 * long_infdesc_626p.pdf × 5 (3,750 chunks, 1,536-dimension random unit vectors), PostgreSQL CPU ms per chunk
 * with m/ef_construction 16/64 → 12/64 in five same-run pairs: 6.38 → 4.27, 5.09 → 3.61, 7.01 → 4.44,
 * 6.71 → 4.47, 5.59 → 3.31 (0.59–0.71 of it); without any HNSW index 0.82. 16/32 saved almost nothing (5.0);
 * 8/40 saved most (2.0–2.3) but lost ranking.
 *
 * Ranking, dev splits, the same chunks (bench/load-beir.ts) searched before and after a rebuild, nDCG@10
 * vector / hybrid: NFCorpus 0.2636 / 0.3122 → 0.2642 / 0.3113 (exact search 0.2659 / 0.3124); ArguAna
 * 0.3726 / 0.4095 → 0.3708 / 0.4086 (exact vector search 0.3711). m 8 lost 0.008 (NFCorpus vector 0.2558),
 * m 10 0.002 (0.2613). Searches keep their own ef_search (DEFAULT_EF_SEARCH, HYBRID_EF_SEARCH).
 */
export const HNSW_M = 12;
export const HNSW_EF_CONSTRUCTION = 64;

/** pg_class.reloptions of an index built with them, as PostgreSQL lists them. */
export const HNSW_RELOPTIONS = [`m=${HNSW_M}`, `ef_construction=${HNSW_EF_CONSTRUCTION}`];
