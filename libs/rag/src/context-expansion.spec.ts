import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NeighbourChunk, SourcePage } from '@app/database';
import { buildCitations } from './citations';
import { joinOverlapping, withNeighbours, withPages } from './context-expansion';
import { RetrievedSource } from './retrieved-source';

const source = (n: number, ordinal: number, text: string, page: number, documentId = 'doc'): RetrievedSource => ({
  n, chunkId: `${documentId}-${ordinal}`, documentId, title: documentId, text, pageStart: page, pageEnd: page, ordinal, score: 1 / n,
});
const chunk = (ordinal: number, text: string, page: number, documentId = 'doc'): NeighbourChunk => ({ documentId, ordinal, text, pageStart: page, pageEnd: page });

// Chunks as the chunker makes them: each starts with the last sentence of the one before.
const C0 = 'Alpha opens the manual. Bravo explains the pump housing.';
const C1 = 'Bravo explains the pump housing. Charlie checks the valve seals.';
const C2 = 'Charlie checks the valve seals. Delta closes the inspection.';
const C3 = 'Delta closes the inspection. Echo signs the logbook afterwards.';

test('overlapping chunks are joined with their overlap once; without one, with a blank line', () => {
  assert.deepEqual(joinOverlapping([C0, C1, C2]), {
    text: 'Alpha opens the manual. Bravo explains the pump housing. Charlie checks the valve seals. Delta closes the inspection.',
    starts: [0, C0.length, C0.length + ' Charlie checks the valve seals.'.length],
  });
  assert.deepEqual(joinOverlapping(['First part of a text.', 'Unrelated second part here.']), {
    text: 'First part of a text.\n\nUnrelated second part here.',
    starts: [0, 23],
  });
});

test('joining a run of one repeated character stays cheap (overlap candidates are bounded)', () => {
  const run = 'a'.repeat(200_000);
  const started = performance.now();
  const { text } = joinOverlapping([run, `${'a'.repeat(100_000)}b`]);
  assert.ok(text.endsWith('b'));
  assert.ok(performance.now() - started < 2_000);
});

test('neighbours: each source with the chunk before and after, text a better source holds not repeated, covered sources merged', () => {
  const neighbours = [chunk(0, C0, 1), chunk(1, C1, 1), chunk(2, C2, 2), chunk(3, C3, 3)];
  const expanded = withNeighbours([source(1, 1, C1, 1), source(2, 2, C2, 2), source(3, 3, C3, 3)], neighbours, 1);
  // Source 2 (ordinal 2) is inside source 1's expansion: merged. Source 3 keeps its own chunk only.
  assert.deepEqual(expanded.map((s) => s.n), [1, 3]);
  assert.equal(expanded[0].text, 'Alpha opens the manual. Bravo explains the pump housing. Charlie checks the valve seals. Delta closes the inspection.');
  assert.deepEqual([expanded[0].pageStart, expanded[0].pageEnd], [1, 2]);
  assert.equal(expanded[0].chunkId, 'doc-1', 'the retrieved chunk stays the source');
  assert.equal(expanded[1].text, C3);
  // Chunks of other documents are never neighbours.
  const other = withNeighbours([source(1, 1, 'Other text.', 5, 'other')], neighbours, 1);
  assert.equal(other[0].text, 'Other text.');
});

test('pages: each source becomes the pages it sits on; a citation gives the page of its quote', () => {
  const pages: SourcePage[] = [
    { documentId: 'doc', pageNumber: 4, text: 'The pump is grey. The hose is long.' },
    { documentId: 'doc', pageNumber: 5, text: 'The valve opens at dawn. The lever locks at dusk.' },
  ];
  const retrieved = { ...source(1, 7, 'The hose is long. The valve opens at dawn.', 4), pageEnd: 5 };
  const [expanded] = withPages([retrieved, source(2, 8, 'The lever locks at dusk.', 5)], pages, 8);
  assert.equal(expanded.text, 'The pump is grey. The hose is long.\n\nThe valve opens at dawn. The lever locks at dusk.');
  assert.equal(withPages([retrieved, source(2, 8, 'The lever locks at dusk.', 5)], pages, 8).length, 1, 'the second source sits on pages the first holds');
  const [citation] = buildCitations('The lever locks at dusk [1].', [expanded]);
  assert.equal(citation.quote, 'The lever locks at dusk.');
  assert.deepEqual([citation.pageStart, citation.pageEnd], [5, 5]);
  const [onFour] = buildCitations('The pump is grey [1].', [expanded]);
  assert.deepEqual([onFour.pageStart, onFour.pageEnd], [4, 4]);
  // A page that is not stored leaves the source as it was.
  assert.deepEqual(withPages([source(1, 1, 'Kept.', 9)], pages, 8)[0].text, 'Kept.');
});
