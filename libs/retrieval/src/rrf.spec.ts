import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reciprocalRankFusion, RRF_K } from './rrf';

const items = (...ids: string[]) => ids.map((chunkId) => ({ chunkId }));

test('an item ranked by both lists outranks items ranked by one', () => {
  const fused = reciprocalRankFusion([{ items: items('a', 'b', 'c') }, { items: items('d', 'c', 'e') }]);
  assert.equal(fused[0].item.chunkId, 'c');
  assert.equal(fused[0].score, 1 / (RRF_K + 3) + 1 / (RRF_K + 2));
  assert.deepEqual(fused.map((f) => f.item.chunkId).sort(), ['a', 'b', 'c', 'd', 'e']);
});

test('scores are 1/(k + rank) summed over lists, with ranks from 1', () => {
  const fused = reciprocalRankFusion([{ items: items('x') }, { items: items('y', 'x') }], 10);
  const x = fused.find((f) => f.item.chunkId === 'x')!;
  assert.equal(x.score, 1 / 11 + 1 / 12);
});

test('weights scale a list and ties keep first-seen order', () => {
  const tie = reciprocalRankFusion([{ items: items('a') }, { items: items('b') }]);
  assert.deepEqual(tie.map((f) => f.item.chunkId), ['a', 'b']);
  const weighted = reciprocalRankFusion([{ items: items('a') }, { items: items('b'), weight: 2 }]);
  assert.deepEqual(weighted.map((f) => f.item.chunkId), ['b', 'a']);
});

test('empty lists fuse to nothing', () => {
  assert.deepEqual(reciprocalRankFusion([{ items: [] }, { items: [] }]), []);
});
