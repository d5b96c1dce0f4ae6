import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inRerankedOrder } from './reranked-search';
import { SearchResult } from './search.service';

const hit = (id: string, score: number) => ({ chunkId: id, documentId: 'd', title: 't', text: id, pageStart: 1, pageEnd: 1, score }) as SearchResult;
const fused = ['a', 'b', 'c', 'd', 'e'].map((id, i) => hit(id, 1 / (i + 1)));

test("the reranker's order is final, scored by its relevance scores, top_k at most", () => {
  const ordered = inRerankedOrder(fused, [{ index: 3, score: 0.2 }, { index: 4, score: 0.9 }, { index: 0, score: 0.5 }], 2);
  assert.deepEqual(ordered.map((h) => [h.chunkId, h.score]), [['e', 0.9], ['a', 0.5]]);
});

test('a reranker that returned fewer than top_k is followed by the rest in fused order', () => {
  const ordered = inRerankedOrder(fused, [{ index: 2, score: 0.7 }], 3);
  assert.deepEqual(ordered.map((h) => [h.chunkId, h.score]), [['c', 0.7], ['a', 0.7], ['b', 0.7]]);
});
