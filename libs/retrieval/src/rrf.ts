/** Reciprocal rank fusion's damping constant; 60 is the value from Cormack et al. (2009) that most systems use. */
export const RRF_K = 60;

export interface Ranked {
  chunkId: string;
}

/**
 * Reciprocal rank fusion: each list contributes weight / (k + rank) for every item it ranks (rank from 1).
 * Ranks, not raw scores, are fused, so cosine similarities and text-rank scores need no calibration.
 * Returns the union ordered by fused score (ties broken by first appearance, so the result is deterministic).
 */
export function reciprocalRankFusion<T extends Ranked>(
  lists: { items: T[]; weight?: number }[],
  k = RRF_K,
): { item: T; score: number }[] {
  const fused = new Map<string, { item: T; score: number; order: number }>();
  let order = 0;
  for (const { items, weight = 1 } of lists) {
    items.forEach((item, index) => {
      const contribution = weight / (k + index + 1);
      const entry = fused.get(item.chunkId);
      if (entry) entry.score += contribution;
      else fused.set(item.chunkId, { item, score: contribution, order: order++ });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.order - b.order).map(({ item, score }) => ({ item, score }));
}
