import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanScores, ndcgAt, rankDocuments, recallAt, reciprocalRankAt, scoreQuery } from './retrieval-metrics';

const judged = new Map([
  ['a', 2],
  ['b', 1],
  ['z', 0],
]);

test('nDCG uses the grade as gain and the ideal ordering of all judged documents', () => {
  assert.equal(ndcgAt(10, ['a', 'b'], judged), 1);
  const swapped = (1 / Math.log2(2) + 2 / Math.log2(3)) / (2 / Math.log2(2) + 1 / Math.log2(3));
  assert.ok(Math.abs(ndcgAt(10, ['b', 'a'], judged) - swapped) < 1e-12);
  assert.equal(ndcgAt(10, ['z', 'x'], judged), 0);
  // Only the first k count.
  assert.equal(ndcgAt(1, ['x', 'a'], judged), 0);
  assert.equal(ndcgAt(10, ['a'], new Map()), 0);
});

test('recall and reciprocal rank count only grade > 0 within the cut-off', () => {
  assert.equal(recallAt(10, ['z', 'b', 'x'], judged), 0.5);
  assert.equal(recallAt(1, ['z', 'b'], judged), 0);
  assert.equal(reciprocalRankAt(10, ['z', 'x', 'b'], judged), 1 / 3);
  assert.equal(reciprocalRankAt(2, ['z', 'x', 'b'], judged), 0);
  assert.deepEqual(scoreQuery(['a', 'b'], judged), { 'ndcg@10': 1, 'recall@10': 1, 'recall@100': 1, 'mrr@10': 1 });
});

test('documents are ranked by their best chunk; means are rounded to 4 decimals', () => {
  assert.deepEqual(rankDocuments(['d1', 'd2', 'd1', 'd3', 'd2']), ['d1', 'd2', 'd3']);
  const mean = meanScores([
    { 'ndcg@10': 1, 'recall@10': 1, 'recall@100': 1, 'mrr@10': 1 },
    { 'ndcg@10': 0, 'recall@10': 0.5, 'recall@100': 1, 'mrr@10': 1 / 3 },
  ]);
  assert.deepEqual(mean, { 'ndcg@10': 0.5, 'recall@10': 0.75, 'recall@100': 1, 'mrr@10': 0.6667 });
});
