import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../../test/support/linear-time';
import { selectAnswerSentences } from './sentence-selection';

const handbook = [
  { n: 1, text: 'The company was founded in 1998. Employees may work remotely on Fridays. The office closes at 6 pm.' },
  { n: 2, text: '## Vacation\n\nNew employees receive twenty-seven vacation days per year. Unused vacation days expire in March.' },
  { n: 3, text: 'New employees receive twenty-seven vacation days per year. Parking is free for all staff.' },
];

test('picks the sentences that contain the question words, verbatim, citing their passage', () => {
  const selected = selectAnswerSentences('How many vacation days do new employees get?', handbook);
  assert.equal(selected[0].text, 'New employees receive twenty-seven vacation days per year.');
  assert.equal(selected[0].n, 2, 'the duplicate in passage 3 is cited by the better-ranked passage');
  assert.equal(selected[0].coverage, 1);
  for (const s of selected) {
    const passage = handbook.find((p) => p.n === s.n)!;
    assert.ok(passage.text.replace(/\s+/g, ' ').includes(s.text));
  }
  assert.ok(!selected.some((s) => s.text.includes('Parking')));
});

test('sentences are returned in reading order, not score order', () => {
  const passages = [{ n: 1, text: 'New employees submit vacation requests in the HR portal. Managers approve vacation requests of new employees within a week.' }];
  const selected = selectAnswerSentences('How do new employees get vacation requests approved?', passages);
  assert.equal(selected.length, 2, JSON.stringify(selected));
  assert.ok(selected[0].coverage < selected[1].coverage, 'the better sentence comes second in the text');
  assert.ok(selected[0].text.startsWith('New employees submit'));
  assert.ok(selected[1].text.startsWith('Managers approve'));
});

test('nothing is selected when no sentence covers enough of the question', () => {
  assert.deepEqual(selectAnswerSentences('What is the boiling point of mercury?', handbook), []);
  // "company" alone is shared vocabulary, not an answer about pets.
  assert.deepEqual(selectAnswerSentences('What is the company policy on pets in meetings?', handbook), []);
  assert.deepEqual(selectAnswerSentences('What is it?', handbook), []);
  assert.deepEqual(selectAnswerSentences('vacation days', []), []);
});

test('a sentence repeated inside a longer one (overlapping chunks, a sentence cut at a chunk\'s end) is quoted once', () => {
  // "R. The" does not end a sentence (a single capital before a period reads as an initial), so the second chunk,
  // which goes on past the first one's end, holds the first one's last sentence inside a longer one.
  const passages = [
    { n: 1, text: 'Trees are drawn upside down. Binary trees over the alphabet are inductively defined by the rules in R.' },
    { n: 2, text: 'Binary trees over the alphabet are inductively defined by the rules in R. The binary tree of one letter is a root.' },
  ];
  const selected = selectAnswerSentences('How are binary trees over an alphabet inductively defined?', passages);
  assert.equal(selected.length, 1, JSON.stringify(selected));
  assert.equal(selected[0].n, 1);
  assert.equal(selected[0].text, 'Binary trees over the alphabet are inductively defined by the rules in R.');
});

test('a passage that opens mid-sentence does not have that tail quoted; its later sentences may be', () => {
  const passages = [{ n: 1, text: 'is set, and new employees receive vacation days after probation. New employees receive vacation days every January.' }];
  const selected = selectAnswerSentences('How many vacation days do new employees get?', passages);
  assert.deepEqual(selected.map((s) => s.text), ['New employees receive vacation days every January.']);
});

test('headings are never quoted and at most maxSentences are chosen', () => {
  const passages = [{ n: 1, text: '# Vacation days\n\nVacation days accrue monthly. Vacation days are paid. Vacation days can be sold. Vacation days roll over.' }];
  const selected = selectAnswerSentences('vacation days', passages, { maxSentences: 2, minCoverage: 0.5 });
  assert.equal(selected.length, 2);
  assert.ok(selected.every((s) => !s.text.startsWith('#')));
});

test('property: whatever the passages, every selected sentence is quoted verbatim from the passage it cites', () => {
  const passage = fc.oneof(adversarialText(2_000), fc.array(fc.constantFrom('New employees receive 27 vacation days.', 'Days. ', 'vacation!!', '\n\n', '- days', 'e.g. ', '?!'), { maxLength: 30 }).map((parts) => parts.join(' ')));
  fc.assert(
    fc.property(fc.array(passage, { minLength: 1, maxLength: 4 }), (texts) => {
      const passages = texts.map((text, i) => ({ n: i + 1, text }));
      const selected = selectAnswerSentences('How many vacation days do new employees get?', passages);
      assert.ok(selected.length <= 3);
      for (const s of selected) assert.ok(passages[s.n - 1].text.replace(/\s+/g, ' ').includes(s.text), s.text);
    }),
  );
});

test('linear time: a passage of 1 MB of adversarial text against 25 kB', () => {
  assertLinearTime((text) => selectAnswerSentences('How many vacation days do new employees get?', [{ n: 1, text }]));
});

test('linear time: thousands of answering sentences beside a long one that answers better, in chunks of 32 kB', () => {
  // The long sentence is chosen first; every short one is then compared with it before the next is chosen.
  const shape = {
    name: 'a 16 kB sentence and short ones',
    make: (chars: number) => {
      const long = 'New employees get vacation days '.repeat(512);
      let text = long.slice(0, Math.min(long.length, chars / 2)) + '. ';
      for (let i = 0; text.length < chars; i++) text += `New employees receive ${i} vacation days. `;
      return text.slice(0, chars);
    },
  };
  const passagesOf = (text: string) => Array.from({ length: Math.ceil(text.length / 32_768) }, (_, i) => ({ n: i + 1, text: text.slice(i * 32_768, (i + 1) * 32_768) }));
  assertLinearTime((text) => selectAnswerSentences('How many vacation days do new employees get?', passagesOf(text)), [shape]);
});
