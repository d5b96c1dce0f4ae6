import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCitations } from './citations';
import { RetrievedSource } from './retrieved-source';

const source = (n: number, text: string): RetrievedSource => ({
  n,
  chunkId: String(100 + n),
  documentId: `doc-${n}`,
  title: `Title ${n}`,
  text,
  pageStart: n,
  pageEnd: n + 1,
  ordinal: 0,
  score: 1 / n,
});

const sources = [
  source(1, 'The office opens at 8 am. New employees receive twenty-seven vacation days per year. Parking is free.'),
  source(2, '# Security\n\nBadges must be worn at all times. Visitors are escorted.'),
  source(3, 'Unrelated text about the cafeteria menu.'),
];

test('one citation per cited source, in order of first citation, quoting the supporting sentence', () => {
  const citations = buildCitations('Badges are mandatory at all times [2]. New hires get 27 vacation days per year [1][2].', sources);
  assert.deepEqual(citations.map((c) => c.n), [2, 1]);
  const [badges, vacation] = citations;
  assert.equal(badges.quote, 'Badges must be worn at all times.');
  assert.equal(vacation.quote, 'New employees receive twenty-seven vacation days per year.');
  assert.deepEqual(
    { chunkId: vacation.chunkId, documentId: vacation.documentId, title: vacation.title, pageStart: vacation.pageStart, pageEnd: vacation.pageEnd, score: vacation.score },
    { chunkId: '101', documentId: 'doc-1', title: 'Title 1', pageStart: 1, pageEnd: 2, score: 1 },
  );
});

test('an extractive answer quotes exactly the sentences it repeated, in chunk order', () => {
  const answer = 'New employees receive twenty-seven vacation days per year. [1] Parking is free. [1] The office opens at 8 am. [1]';
  const [citation] = buildCitations(answer, sources);
  assert.equal(citation.quote, 'The office opens at 8 am. … New employees receive twenty-seven vacation days per year. … Parking is free.');
});

test('no markers, no citations; a statement unlike any sentence quotes the chunk opening', () => {
  assert.deepEqual(buildCitations('The documents do not contain an answer to this question.', sources), []);
  const [citation] = buildCitations('Lunch is served [3].', sources);
  assert.equal(citation.quote, 'Unrelated text about the cafeteria menu.');
  assert.deepEqual(buildCitations('Invented [9].', sources), []);
});
