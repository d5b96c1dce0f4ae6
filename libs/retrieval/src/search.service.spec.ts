import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countWords } from './search.service';

test('countWords counts runs of letters and digits, in any script, up to a cap', () => {
  assert.equal(countWords('effect of turmeric', 100), 3);
  assert.equal(countWords('  vitamin-D3, 2 mg/day!  ', 100), 5);
  assert.equal(countWords('épices et curcuma 生姜', 100), 4);
  assert.equal(countWords('', 100), 0);
  assert.equal(countWords('one two three four', 2), 2);
});

test('countWords stops at the cap on a long text', () => {
  assert.equal(countWords('word '.repeat(100_000), 33), 33);
});
