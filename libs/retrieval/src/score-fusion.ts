/** An item of one ranked list with that list's own score (BM25, cosine similarity, ...). */
export interface Scored {
  chunkId: string;
  score: number;
}

/**
 * Convex combination of min-max normalised scores (Bruch, Gai and Ingber, "An Analysis of Fusion Functions
 * for Hybrid Retrieval", TOIS 2023): each list's scores are mapped onto [0, 1] by its own best and worst
 * score, and an item's fused score is the weighted sum of its normalised scores over the lists that rank it
 * (a list that does not rank an item adds 0, as its worst item does). Unlike reciprocal rank fusion it keeps
 * how far apart a list's scores are: a BM25 list whose first hit stands far above the rest keeps it there,
 * where RRF would give the second hit almost as much. Weights are divided by their sum, so only their ratio
 * matters. A list whose scores are all equal (one item, or ties) gives each of its items 1.
 * Returns the union ordered by fused score (ties by first appearance, so the result is deterministic).
 */
export function convexScoreFusion<T extends Scored>(lists: { items: T[]; weight?: number }[]): { item: T; score: number }[] {
  const total = lists.reduce((sum, { items, weight = 1 }) => sum + (items.length > 0 ? weight : 0), 0);
  const fused = new Map<string, { item: T; score: number; order: number }>();
  let order = 0;
  for (const { items, weight = 1 } of lists) {
    if (items.length === 0) continue;
    const share = total > 0 ? weight / total : 0;
    // A list names each chunk once; should one repeat, its first (best-ranked) place counts.
    const seen = new Set<string>();
    const distinct = items.filter((item) => !seen.has(item.chunkId) && seen.add(item.chunkId));
    const normalise = minMaxNormaliser(distinct.map((item) => item.score));
    for (const item of distinct) {
      const contribution = share * normalise(item.score);
      const entry = fused.get(item.chunkId);
      if (entry) entry.score += contribution;
      else fused.set(item.chunkId, { item, score: contribution, order: order++ });
    }
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.order - b.order).map(({ item, score }) => ({ item, score }));
}

/** Maps scores onto [0, 1] by their minimum and maximum; all equal (no spread to scale by): 1. Non-finite scores count as the minimum. */
export function minMaxNormaliser(scores: readonly number[]): (score: number) => number {
  const finite = scores.filter(Number.isFinite);
  if (finite.length === 0) return () => 0;
  const min = Math.min(...finite);
  const spread = Math.max(...finite) - min;
  return (score) => (!Number.isFinite(score) ? 0 : spread > 0 ? (score - min) / spread : 1);
}
