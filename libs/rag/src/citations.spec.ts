import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_SPLIT_CHARS } from '@app/llm';
import { ADVERSARIAL_SHAPES, adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { cleanCitationMarkers } from './citation-markers';
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

test('one citation per number of the answer, naming the source it cites and its rank, quoting the supporting sentence', () => {
  // The answer's [1] cites the second source retrieved, its [2] the first.
  const citations = buildCitations('Badges are mandatory at all times [1]. New hires get 27 vacation days per year [2][1].', [sources[1], sources[0]]);
  assert.deepEqual(citations.map((c) => [c.n, c.rank]), [[1, 2], [2, 1]]);
  const [badges, vacation] = citations;
  assert.equal(badges.quote, 'Badges must be worn at all times.');
  assert.equal(vacation.quote, 'New employees receive twenty-seven vacation days per year.');
  assert.deepEqual(
    { chunkId: vacation.chunkId, documentId: vacation.documentId, title: vacation.title, pageStart: vacation.pageStart, pageEnd: vacation.pageEnd, score: vacation.score },
    { chunkId: '101', documentId: 'doc-1', title: 'Title 1', pageStart: 1, pageEnd: 2, score: 1 },
  );
});

test('a model citing [2] … [3] … [1]: the reader sees [1] … [2] … [3], and the citations follow, pointing at the right chunks', () => {
  const model = 'Badges must be worn [2]. Lunch is in the cafeteria [3]. Vacation is twenty-seven days [1]. Badges again [2, 1].';
  const { text, cited } = cleanCitationMarkers(model, sources.length);
  assert.equal(text, 'Badges must be worn [1]. Lunch is in the cafeteria [2]. Vacation is twenty-seven days [3]. Badges again [1][3].');
  const citations = buildCitations(text, cited.map((n) => sources[n - 1]));
  assert.deepEqual(
    citations.map((c) => ({ n: c.n, rank: c.rank, chunkId: c.chunkId })),
    [
      { n: 1, rank: 2, chunkId: '102' },
      { n: 2, rank: 3, chunkId: '103' },
      { n: 3, rank: 1, chunkId: '101' },
    ],
  );
  assert.equal(citations[0].quote, 'Badges must be worn at all times.');
});

test('citations come ordered by number, even for an answer not numbered in reading order', () => {
  assert.deepEqual(buildCitations('Later [2]. First [1].', [sources[0], sources[1]]).map((c) => c.n), [1, 2]);
});

test('an extractive answer quotes exactly the sentences it repeated, in chunk order', () => {
  const answer = 'New employees receive twenty-seven vacation days per year. [1] Parking is free. [1] The office opens at 8 am. [1]';
  const [citation] = buildCitations(answer, [sources[0]]);
  assert.equal(citation.quote, 'The office opens at 8 am. … New employees receive twenty-seven vacation days per year. … Parking is free.');
});

test('no markers, no citations; a statement unlike any sentence quotes the chunk opening', () => {
  assert.deepEqual(buildCitations('The documents do not contain an answer to this question.', sources), []);
  const [citation] = buildCitations('Lunch is served [1].', [sources[2]]);
  assert.equal(citation.quote, 'Unrelated text about the cafeteria menu.');
  assert.equal(citation.rank, 3);
  assert.deepEqual(buildCitations('Invented [9].', sources), []);
});

test('a source cited a thousand times is quoted for its first distinct statements only', () => {
  const answer = Array.from({ length: 1000 }, (_, i) => `Statement ${i} about vacation days [1].`).join(' ');
  const [citation] = buildCitations(answer, [sources[0]]);
  assert.equal(citation.quote, 'New employees receive twenty-seven vacation days per year.');
});

test('a marker cites the text just before it, not words a thousand characters back', () => {
  const answer = `New employees get vacation days per year.${' Lorem ipsum.'.repeat(100)} Parking is free [1].`;
  assert.equal(buildCitations(answer, [sources[0]])[0].quote, 'Parking is free.');
});

const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

test('property: every citation names the source its number cites and quotes only its text', () => {
  const statement = fc.oneof(adversarialText(500), fc.constantFrom('Badges are worn', 'Vacation days per year', ' ', ''));
  const marker = fc.constantFrom('[1]', '[2]', '[3]', '[4]', '[9]', ' [1][2]', '[1] [3]');
  fc.assert(
    fc.property(adversarialText(3_000), fc.array(fc.tuple(statement, marker), { maxLength: 6 }), (chunk, parts) => {
      const answer = parts.map(([s, m]) => s + m).join('');
      // Cited in another order than retrieved: [1] is the adversarial chunk, retrieved fourth.
      const cited = [source(4, chunk), sources[2], sources[0], sources[1]];
      const citations = buildCitations(answer, cited);
      const numbers = new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).filter((n) => n >= 1 && n <= 4));
      assert.deepEqual(citations.map((c) => c.n), [...numbers].sort((a, b) => a - b));
      for (const citation of citations) {
        const source = cited[citation.n - 1];
        assert.equal(citation.rank, source.n);
        assert.equal(citation.chunkId, source.chunkId);
        const text = flat(source.text.slice(0, MAX_SPLIT_CHARS));
        for (const part of citation.quote.replace(/ …$/, '').split(' … ')) assert.ok(text.includes(part), part);
      }
    }),
  );
});

test('linear time: a cited chunk of 1 MB of adversarial text against 25 kB', () => {
  assertLinearTime((text) => buildCitations('New employees get 27 vacation days per year [1]. Badges are worn at all times [1].', [source(1, text)]));
});

test('linear time: an answer of 1 MB of adversarial text against 25 kB', () => {
  // The shapes end in markers, so the long text is a statement; built by the shape, not by each call, which
  // would time copying a megabyte into a new answer string rather than reading it.
  const cited = ADVERSARIAL_SHAPES.map(({ name, make }) => ({ name: `${name}, cited`, make: (chars: number) => `${make(chars - 12)} [1] x. [2]` }));
  assertLinearTime((answer) => buildCitations(answer, sources), cited);
});
