import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replaceEachOnce } from './source-patch';

test('each original is replaced where it is, whatever the order the pairs are given in', () => {
  assert.equal(replaceEachOnce('one two three', [['three', '3'], ['one', '1']]), '1 two 3');
  assert.equal(replaceEachOnce('a$b', [['$', '$&$$']]), 'a$&$$b');
  assert.equal(replaceEachOnce('abc', []), 'abc');
});

test('nothing is replaced unless every original occurs exactly once, apart from the others', () => {
  assert.equal(replaceEachOnce('one two', [['one', '1'], ['three', '3']]), undefined);
  assert.equal(replaceEachOnce('one one', [['one', '1']]), undefined);
  assert.equal(replaceEachOnce('abcd', [['abc', 'x'], ['cd', 'y']]), undefined);
});
