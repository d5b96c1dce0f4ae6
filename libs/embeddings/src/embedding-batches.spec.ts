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

  it('returns no batches for no texts', () => {
    assert.deepEqual(planBatches([], { maxInputs: 10, maxTokens: 10 }), []);
  });
});
