import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitSentences } from './sentences';

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
