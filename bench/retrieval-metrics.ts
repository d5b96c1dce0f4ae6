/** Graded relevance judgements of one query: document id -> grade (0 = judged not relevant). */
export type Judgements = ReadonlyMap<string, number>;

export interface QueryScores {
  'ndcg@10': number;
  'recall@10': number;
  'recall@100': number;
  'mrr@10': number;
}

export const METRIC_NAMES: readonly (keyof QueryScores)[] = ['ndcg@10', 'recall@10', 'recall@100', 'mrr@10'];

/**
 * nDCG@k with graded gain as BEIR computes it (pytrec_eval's ndcg_cut): gain = grade, discount log2(rank + 1),
 * normalised by the ideal ordering of all judged documents.
 */
export function ndcgAt(k: number, ranked: readonly string[], judgements: Judgements): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((doc, i) => {
    dcg += (judgements.get(doc) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...judgements.values()].filter((grade) => grade > 0).sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((sum, grade, i) => sum + grade / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Share of the relevant (grade > 0) documents found in the first k. */
export function recallAt(k: number, ranked: readonly string[], judgements: Judgements): number {
  const relevant = [...judgements.values()].filter((grade) => grade > 0).length;
  if (relevant === 0) return 0;
  return ranked.slice(0, k).filter((doc) => (judgements.get(doc) ?? 0) > 0).length / relevant;
}

/** 1 / rank of the first relevant document within the first k, else 0. */
export function reciprocalRankAt(k: number, ranked: readonly string[], judgements: Judgements): number {
  const index = ranked.slice(0, k).findIndex((doc) => (judgements.get(doc) ?? 0) > 0);
  return index < 0 ? 0 : 1 / (index + 1);
}

export function scoreQuery(ranked: readonly string[], judgements: Judgements): QueryScores {
  return {
    'ndcg@10': ndcgAt(10, ranked, judgements),
    'recall@10': recallAt(10, ranked, judgements),
    'recall@100': recallAt(100, ranked, judgements),
    'mrr@10': reciprocalRankAt(10, ranked, judgements),
  };
}

/** Mean of each metric over queries, rounded to 4 decimals as IR tables report them. */
export function meanScores(scores: readonly QueryScores[]): QueryScores {
  const mean = {} as QueryScores;
  for (const name of METRIC_NAMES) {
    const sum = scores.reduce((total, s) => total + s[name], 0);
    mean[name] = scores.length === 0 ? 0 : Math.round((sum / scores.length) * 10_000) / 10_000;
  }
  return mean;
}

/** Documents ranked by their best chunk: the first occurrence of each document in a ranked list of chunks. */
export function rankDocuments(chunkDocuments: readonly string[]): string[] {
  return [...new Set(chunkDocuments)];
}
