import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../../test/support/linear-time';
import { MAX_SPLIT_CHARS, splitSentences } from './sentences';

test('splits on sentence punctuation, keeping offsets into the passage', () => {
  const passage = 'New employees get 27 days. Dr. Smith approves them! Is 3.5 enough? "Yes," she said.';
  const sentences = splitSentences(passage);
  assert.deepEqual(sentences.map((s) => s.text), ['New employees get 27 days.', 'Dr. Smith approves them!', 'Is 3.5 enough?', '"Yes," she said.']);
  for (const s of sentences) assert.equal(passage.slice(s.start, s.end), s.text);
});

test('line breaks inside a paragraph are spaces; blank lines, headings and list items split', () => {
  const passage = '# Handbook\n\nBadges must be worn\nat all times. Visitors sign in.\n- Laptops are locked at night\n- Keys stay with security\nClosing words';
  const sentences = splitSentences(passage);
  assert.deepEqual(sentences.map((s) => [s.text, s.heading]), [
    ['# Handbook', true],
    ['Badges must be worn at all times.', false],
    ['Visitors sign in.', false],
    ['Laptops are locked at night', false],
    ['Keys stay with security', false],
    ['Closing words', false],
  ]);
  const badges = sentences[1];
  assert.equal(passage.slice(badges.start, badges.end), 'Badges must be worn\nat all times.');
});

test('initials and common abbreviations do not end a sentence', () => {
  const sentences = splitSentences('J. R. Tolkien wrote it, e.g. The Hobbit. Then he stopped.');
  assert.deepEqual(sentences.map((s) => s.text), ['J. R. Tolkien wrote it, e.g. The Hobbit.', 'Then he stopped.']);
});

test('an unpunctuated run of lines longer than a sentence is split at its line breaks', () => {
  const line = 'cell value '.repeat(10).trim();
  const passage = Array.from({ length: 8 }, () => line).join('\n');
  assert.equal(splitSentences(passage).length, 8);
  assert.deepEqual(splitSentences('   '), []);
});

test('a long word before a period is not read as an abbreviation, however long', () => {
  assert.deepEqual(splitSentences('It costs approx. 5 euros. Approximately. Then more.').map((s) => s.text), ['It costs approx. 5 euros.', 'Approximately.', 'Then more.']);
  const word = 'x'.repeat(20_000);
  assert.deepEqual(splitSentences(`${word}. Next one.`).map((s) => s.text.length), [word.length + 1, 'Next one.'.length]);
});

test('only the first MAX_SPLIT_CHARS characters of a passage are split', () => {
  const sentence = 'Badges must be worn. ';
  const passage = sentence.repeat(Math.ceil((2 * MAX_SPLIT_CHARS) / sentence.length));
  const sentences = splitSentences(passage);
  assert.ok(sentences.length > 1000);
  assert.ok(sentences.every((s) => s.end <= MAX_SPLIT_CHARS));
  assert.ok(sentences.at(-1)!.end > MAX_SPLIT_CHARS - sentence.length);
});

/** Whitespace runs collapsed, as a sentence's text is. */
const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

test('property: sentences are in order, do not overlap, and slice back to their text', () => {
  const passages = fc.oneof(adversarialText(3_000), fc.string({ unit: fc.constantFrom(...'Ab1 .!?\n"\'()#-|e.g'), maxLength: 400 }));
  fc.assert(
    fc.property(passages, (passage) => {
      let previousEnd = 0;
      for (const s of splitSentences(passage)) {
        assert.ok(s.start >= previousEnd && s.start < s.end && s.end <= Math.min(passage.length, MAX_SPLIT_CHARS));
        assert.equal(s.text, flat(passage.slice(s.start, s.end)));
        assert.notEqual(s.text, '');
        previousEnd = s.end;
      }
    }),
  );
});

test('linear time: 1 MB of adversarial text against 25 kB, the splitting itself and as capped', () => {
  // Uncapped first: the cap alone would hide a quadratic split of the first MAX_SPLIT_CHARS.
  assertLinearTime((text) => splitSentences(text, Infinity));
  assertLinearTime((text) => splitSentences(text));
});
