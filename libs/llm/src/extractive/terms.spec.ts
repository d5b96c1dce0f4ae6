import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../../test/support/linear-time';
import { contentTerms, stem, wantedTerms, words } from './terms';

test('inflections of one word share a stem', () => {
  const groups = [
    ['policy', 'policies'],
    ['employee', 'employees', "employee's"],
    ['receive', 'receives', 'received', 'receiving'],
    ['vacation', 'vacations'],
    ['run', 'running', 'runs'],
    ['box', 'boxes'],
    ['fall', 'falling'],
  ];
  for (const group of groups) {
    assert.equal(new Set(group.map(stem)).size, 1, `${group.join('/')} -> ${group.map(stem).join('/')}`);
  }
  assert.notEqual(stem('policy'), stem('police'));
  assert.equal(stem('bus'), 'bus');
  assert.equal(stem('analysis'), 'analysis');
  assert.equal(stem('2024s'), '2024s');
});

test('content terms drop stop words and question words, lowercase and stem the rest', () => {
  assert.deepEqual([...contentTerms('How many vacation days do new employees get?')], ['vacation', 'day', 'new', 'employe']);
  assert.deepEqual([...contentTerms('What is it?')], []);
  assert.deepEqual([...contentTerms('Badges, BADGES and badge.')], ['badg']);
});

test('property: words are lowercase letters and digits (an apostrophe inside), and every term is a word of the text', () => {
  fc.assert(
    fc.property(fc.oneof(adversarialText(2_000), fc.string({ unit: fc.constantFrom(..."aZ1 '’.é-"), maxLength: 200 })), (text) => {
      const found = words(text);
      for (const word of found) assert.match(word, /^[\p{L}\p{N}]+(?:['’]\p{L}+)?$/u);
      const stems = new Set(found.map(stem));
      for (const term of contentTerms(text)) assert.ok(stems.has(term), term);
    }),
  );
});

test('linear time: 1 MB of adversarial text against 25 kB', () => {
  assertLinearTime(contentTerms);
});

test('property: wantedTerms is contentTerms intersected with the wanted terms', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('policies', 'policy', "a's", 'A', 'as', 'axes', 'ax', 'ches', 'ch', 'running', 'run', 'does', 'doe', 'it’s', 'x1s', 'the', 'receive', 'received', 'ies', 'xxies', 'xxy', 'Zz'), { maxLength: 30 }), fc.array(fc.constantFrom('polici', 'policy', 'a', 'ax', 'ch', 'run', 'doe', 'it', 'x1s', 'receiv', 'xxy', 'zz', 'ies'), { maxLength: 6 }), (list, wantedList) => {
      const text = list.join(' ');
      const wanted = new Set<string>(wantedList);
      const expected = [...contentTerms(text)].filter((term) => wanted.has(term)).sort();
      assert.deepEqual([...wantedTerms(words(text), wanted)].sort(), expected);
    }),
  );
});

test('property: on any text, wantedTerms finds exactly the wanted terms contentTerms finds', () => {
  const letters = fc.constantFrom(...'aeiosyxzchlnrtdgI1’\''.split(''), 'ies', 'es', 'ing', 'ed', 'ly', ' ', 'É');
  fc.assert(
    fc.property(fc.array(letters, { maxLength: 80 }), fc.array(fc.boolean(), { maxLength: 40 }), (parts, mask) => {
      const text = parts.join('');
      const all = [...contentTerms(text)];
      // Half the text's own terms (so some match) and a few that are not its terms.
      const wanted = new Set([...all.filter((_, i) => mask[i]), 'zz', 'a', 'ies']);
      assert.deepEqual([...wantedTerms(words(text), wanted)].sort(), all.filter((term) => wanted.has(term)).sort());
    }),
    { numRuns: 2000 },
  );
});
