import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { convexScoreFusion, minMaxNormaliser } from './score-fusion';

const scored = (...pairs: [string, number][]) => pairs.map(([chunkId, score]) => ({ chunkId, score }));
const ids = (fused: { item: { chunkId: string } }[]) => fused.map((f) => f.item.chunkId);

test('min-max maps the best score to 1 and the worst to 0, linearly between', () => {
  const normalise = minMaxNormaliser([12, 4, 8]);
  assert.equal(normalise(12), 1);
  assert.equal(normalise(4), 0);
  assert.equal(normalise(8), 0.5);
});

test('min-max gives 1 to a list without spread and 0 to scores that are not numbers', () => {
  assert.equal(minMaxNormaliser([0.3])(0.3), 1);
  assert.equal(minMaxNormaliser([2, 2])(2), 1);
  assert.equal(minMaxNormaliser([1, Number.NaN, 3])(Number.NaN), 0);
  assert.equal(minMaxNormaliser([1, Number.NaN, 3])(3), 1);
  assert.equal(minMaxNormaliser([])(5), 0);
});

test('scores, not ranks, decide: a keyword hit far above the rest keeps its lead over a chunk both lists rank second', () => {
  // BM25: "a" stands far above; cosine: "b" barely leads "a". RRF would put "b" (ranked 2 and 1) ahead of "a" (1 and 2)
  // only by the order of ties; here "a" wins on its score gap.
  const keyword = scored(['a', 30], ['b', 10], ['c', 9]);
  const vector = scored(['b', 0.61], ['a', 0.6], ['d', 0.2]);
  const fused = convexScoreFusion([{ items: vector }, { items: keyword }]);
  assert.deepEqual(ids(fused), ['a', 'b', 'd', 'c']);
  const a = fused[0];
  // keyword: (30-9)/(30-9) = 1; vector: (0.6-0.2)/(0.61-0.2); each list weighs 1/2.
  assert.ok(Math.abs(a.score - (0.5 * 1 + 0.5 * (0.4 / 0.41))) < 1e-12);
});

test('weights count by their ratio only', () => {
  const keyword = scored(['a', 3], ['b', 1]);
  const vector = scored(['b', 0.9], ['a', 0.1]);
  const equal = convexScoreFusion([{ items: vector, weight: 2 }, { items: keyword, weight: 2 }]);
  const unit = convexScoreFusion([{ items: vector, weight: 1 }, { items: keyword, weight: 1 }]);
  assert.deepEqual(equal, unit);
  const keywordLed = convexScoreFusion([{ items: vector, weight: 1 }, { items: keyword, weight: 3 }]);
  assert.deepEqual(ids(keywordLed), ['a', 'b']);
  assert.equal(keywordLed[0].score, 0.75);
  const vectorLed = convexScoreFusion([{ items: vector, weight: 3 }, { items: keyword, weight: 1 }]);
  assert.deepEqual(ids(vectorLed), ['b', 'a']);
});

test('an empty list takes no share: the other list alone orders and scores up to 1', () => {
  const fused = convexScoreFusion([{ items: [] as { chunkId: string; score: number }[] }, { items: scored(['a', 2], ['b', 1]), weight: 1 }]);
  assert.deepEqual(fused, [
    { item: { chunkId: 'a', score: 2 }, score: 1 },
    { item: { chunkId: 'b', score: 1 }, score: 0 },
  ]);
  assert.deepEqual(convexScoreFusion([{ items: [] }, { items: [] }]), []);
});

test('a chunk a list repeats counts once, at its first place; ties keep first-seen order', () => {
  const fused = convexScoreFusion([{ items: scored(['a', 1], ['a', 5], ['b', 0]) }]);
  assert.deepEqual(fused.map((f) => f.score), [1, 0]);
  const later = convexScoreFusion([{ items: scored(['a', 2], ['b', 1], ['a', 0]) }]);
  assert.deepEqual(later.map((f) => [f.item.chunkId, f.score]), [['a', 1], ['b', 0]]);
  const tie = convexScoreFusion([{ items: scored(['x', 1]) }, { items: scored(['y', 1]) }]);
  assert.deepEqual(ids(tie), ['x', 'y']);
});

test('property: fused scores lie in [0, 1], every chunk appears once, order is by score', () => {
  const list = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.double({ min: -5, max: 50, noNaN: true })), { maxLength: 8 });
  fc.assert(
    fc.property(list, list, fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (v, k, wv, wk) => {
      const fused = convexScoreFusion([
        { items: scored(...v), weight: wv },
        { items: scored(...k), weight: wk },
      ]);
      const union = new Set([...v, ...k].map(([id]) => id));
      assert.equal(fused.length, union.size);
      assert.equal(new Set(ids(fused)).size, union.size);
      for (let i = 0; i < fused.length; i++) {
        assert.ok(fused[i].score >= 0 && fused[i].score <= 1 + 1e-12, `score ${fused[i].score}`);
        if (i > 0) assert.ok(fused[i - 1].score >= fused[i].score);
      }
    }),
  );
});
