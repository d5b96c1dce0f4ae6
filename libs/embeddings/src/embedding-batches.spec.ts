import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens } from '@app/chunking';
import { planBatches } from './embedding-batches';

describe('planBatches', () => {
  it('splits by count, keeping order and start positions', () => {
    const texts = Array.from({ length: 7 }, (_, i) => `text ${i}`);
    const batches = planBatches(texts, { maxInputs: 3, maxTokens: 1_000_000 });
    assert.deepEqual(batches.map((b) => b.start), [0, 3, 6]);
    assert.deepEqual(batches.flatMap((b) => b.texts), texts);
  });

  it('splits by summed tokens, and puts an over-budget text in a batch of its own', () => {
    const short = 'one two three four five'; // 5 tokens
    const long = 'word '.repeat(40).trim();
    assert.equal(countTokens(short), 5);
    const batches = planBatches([short, short, short, long, short], { maxInputs: 100, maxTokens: 12 });
    assert.deepEqual(batches.map((b) => b.texts.length), [2, 1, 1, 1]);
    assert.deepEqual(batches.map((b) => b.start), [0, 2, 3, 4]);
  });

  it('makes the batches counting every text would make, though it counts only near the budget', () => {
    // The rule with every text counted, as it was before the byte bound.
    const counted = (texts: string[], limits: { maxInputs: number; maxTokens: number }) => {
      const batches: number[][] = [];
      let tokens = 0;
      texts.forEach((text, index) => {
        const cost = countTokens(text);
        const last = batches[batches.length - 1];
        if (!last || last.length >= limits.maxInputs || tokens + cost > limits.maxTokens) {
          batches.push([index]);
          tokens = cost;
        } else {
          last.push(index);
          tokens += cost;
        }
      });
      return batches.map((batch) => batch[0]);
    };
    const words = ['lentil', 'the', 'ñandú', '東京', '12345678', '!!', 'a\n\nb', '😀', 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const texts = Array.from({ length: 300 }, () => Array.from({ length: 1 + (next() % 40) }, () => words[next() % words.length]).join(' '));
    for (const limits of [{ maxInputs: 64, maxTokens: 250_000 }, { maxInputs: 64, maxTokens: 60 }, { maxInputs: 5, maxTokens: 200 }, { maxInputs: 100, maxTokens: 1 }]) {
      assert.deepEqual(planBatches(texts, limits).map((b) => b.start), counted(texts, limits), JSON.stringify(limits));
    }
  });

  it('returns no batches for no texts', () => {
    assert.deepEqual(planBatches([], { maxInputs: 10, maxTokens: 10 }), []);
  });
});
