import assert from 'node:assert/strict';
import { test } from 'node:test';
import porter2 from 'wink-porter2-stemmer';
import { cachedStemCount, MAX_CACHED_STEMS, MAX_STEMMED_WORD_CHARS, stemWord } from './stemming';

test('a cached stem is the stemmer\'s, and words outside its rules stay as they are', () => {
  for (const word of ['studies', 'study', 'running', 'generously', 'tumours', 'covid19', 'émission', 'データ']) {
    const first = stemWord(word);
    assert.equal(stemWord(word), first, word);
    assert.equal(first, /^[a-z]+$/.test(word) ? porter2(word) : word, word);
  }
  assert.equal(stemWord('studies'), 'studi');
});

test('the cache stays within its bound however many distinct words go through it, and stems stay right', () => {
  const word = (i: number) => `w${i.toString(36).replace(/\d/g, (d) => 'abcdefghij'[Number(d)])}ings`;
  for (let i = 0; i < 3 * MAX_CACHED_STEMS; i++) {
    assert.equal(stemWord(word(i)), porter2(word(i)));
    assert.ok(cachedStemCount() <= MAX_CACHED_STEMS);
  }
  // A word longer than the cached ones is stemmed each time, not kept.
  const before = cachedStemCount();
  const long = `${'pneumonoultramicroscopic'.repeat(2)}ings`;
  assert.equal(stemWord(long), porter2(long));
  assert.equal(cachedStemCount(), before);
});

test('a word longer than MAX_STEMMED_WORD_CHARS is kept as it is: the stemmer takes time quadratic in its length', () => {
  const long = 'a'.repeat(MAX_STEMMED_WORD_CHARS) + 'ings';
  assert.equal(stemWord(long), long);
  assert.equal(stemWord(long.slice(-MAX_STEMMED_WORD_CHARS)), porter2(long.slice(-MAX_STEMMED_WORD_CHARS)));
  // 1 MB of one letter, as a chunk of repeated characters can hold (the embedder's linear-time test covers the rest).
  assert.equal(stemWord('e'.repeat(1_000_000)), 'e'.repeat(1_000_000));
});
