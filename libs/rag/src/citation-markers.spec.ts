import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ADVERSARIAL_SHAPES, adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { CitationMarkerFilter, cleanCitationMarkers } from './citation-markers';

/** The numbers of the answer's markers, in the order they appear. */
const markerNumbers = (text: string) => [...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));

/** Numbered by first appearance: each number seen for the first time is one more than the highest before it. */
function assertReadingOrder(text: string): void {
  let highest = 0;
  for (const n of markerNumbers(text)) {
    assert.ok(n <= highest + 1, `[${n}] appears before [${highest + 1}] in ${JSON.stringify(text)}`);
    highest = Math.max(highest, n);
  }
}

/** Streams `text` through a filter in pieces cut at `cuts`; what was shown and what was cited. */
function streamed(text: string, cuts: number[], sourceCount: number): { text: string; cited: number[] } {
  const filter = new CitationMarkerFilter(sourceCount);
  let shown = '';
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
    shown += filter.push(text.slice(from, cut));
    from = cut;
  }
  shown += filter.push(text.slice(from)) + filter.flush();
  return { text: shown, cited: [...filter.cited] };
}

describe('citation markers', () => {
  it('numbers citations in reading order and records which source each number cites', () => {
    assert.deepEqual(cleanCitationMarkers('Twenty days [2]. Badges [3]. Parking [1].', 3), { text: 'Twenty days [1]. Badges [2]. Parking [3].', cited: [2, 3, 1] });
    // Adjacent markers keep the model's order: sorting them would mean holding the first back to see what follows.
    assert.deepEqual(cleanCitationMarkers('Twenty days [2]. Badges always [1][2].', 3), { text: 'Twenty days [1]. Badges always [2][1].', cited: [2, 1] });
  });

  it('a source cited again keeps its number', () => {
    assert.deepEqual(cleanCitationMarkers('A [3]. B [1]. C [3]. D [1, 3]. E [3][3].', 3), { text: 'A [1]. B [2]. C [1]. D [1][2]. E [1][1].', cited: [3, 1] });
  });

  it('normalises lists and ranges to one bracket per source, ascending in the new numbers', () => {
    assert.equal(cleanCitationMarkers('A [1, 3]. B [1-3]. C [2 – 3].', 3).text, 'A [1][2]. B [1][2][3]. C [2][3].');
    // Sources 4 and 3 are new in that order: 4 is [1], 3 is [2]; then 1 and 2.
    assert.deepEqual(cleanCitationMarkers('A [4, 3]. B [1–2]. C [2, 4, 2].', 4), { text: 'A [1][2]. B [3][4]. C [1][4].', cited: [4, 3, 1, 2] });
    assert.deepEqual(cleanCitationMarkers('A [2]. B [1, 2].', 2), { text: 'A [1]. B [1][2].', cited: [2, 1] });
  });

  it('drops numbers without a source, which take no number, and an emptied marker with the space before it', () => {
    assert.deepEqual(cleanCitationMarkers('Days [7]. Badges [1, 9] always [0].', 2), { text: 'Days. Badges [1] always.', cited: [1] });
    assert.deepEqual(cleanCitationMarkers('X [9] first [2, 0] then [1-40] and [1].', 3), { text: 'X first [1] then and [2].', cited: [2, 1] });
  });

  it('leaves other brackets alone', () => {
    assert.equal(cleanCitationMarkers('See [appendix] and [1a] and a[1] and [', 2).text, 'See [appendix] and [1a] and a[1] and [');
  });

  it('streams: holds back only a marker that may be incomplete, and numbers it once complete', () => {
    const filter = new CitationMarkerFilter(12);
    const pieces = ['Employees get 27 days ', '[', '1', '2', ']', ' and badges [3', '1]. Parking [', '3]. Done'];
    const shown = pieces.map((piece) => filter.push(piece));
    shown.push(filter.flush());
    assert.deepEqual(shown, ['Employees get 27 days', '', '', '', ' [1]', ' and badges', '. Parking', ' [2]. Done', '']);
    assert.deepEqual(filter.cited, [12, 3]);
  });

  it('a bracket that turns out not to be a marker is released as soon as that is clear', () => {
    const filter = new CitationMarkerFilter(3);
    assert.equal(filter.push('see [2'), 'see');
    assert.equal(filter.push('x] now'), ' [2x] now');
    assert.equal(filter.flush(), '');
    assert.deepEqual(filter.cited, []);
  });

  it('a marker is 64 characters at most, streamed or not: a longer list, or one with long runs of spaces, is text', () => {
    const list = `[${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}]`;
    assert.equal(list.length, 71);
    assert.equal(cleanCitationMarkers(`A ${list}.`, 20).text, `A ${list}.`);
    const twenty = Array.from({ length: 20 }, (_, i) => `[${i + 1}]`).join('');
    assert.equal(cleanCitationMarkers(`A [1-20] and [${'1, '.repeat(20)}2].`, 20).text, `A ${twenty} and [1][2].`);
    const spaced = `A [3${' '.repeat(10_000)}, 2${' '.repeat(10_000)}-${' '.repeat(10_000)}3].`;
    assert.equal(cleanCitationMarkers(spaced, 3).text, spaced);
  });

  it('an answer citing twenty sources thousands of times keeps twenty numbers', () => {
    const answer = Array.from({ length: 5_000 }, (_, i) => `Fact ${i} [${20 - (i % 20)}].`).join(' ');
    const { text, cited } = cleanCitationMarkers(answer, 20);
    assert.deepEqual(cited, Array.from({ length: 20 }, (_, i) => 20 - i));
    assert.deepEqual(markerNumbers(text).slice(0, 21), [...Array.from({ length: 20 }, (_, i) => i + 1), 1]);
    assert.equal(markerNumbers(text).length, 5_000);
  });

  it('property: only real sources are cited, numbered in reading order, and text without brackets passes unchanged', () => {
    const answer = fc.oneof(adversarialText(2_000), fc.string({ unit: fc.constantFrom(...'[]1234567890 ,;-–ab.'), maxLength: 200 }));
    fc.assert(
      fc.property(answer, (text) => {
        const { text: cleaned, cited } = cleanCitationMarkers(text, 3);
        assert.ok(cited.every((n) => n >= 1 && n <= 3), JSON.stringify(cited));
        assert.equal(new Set(cited).size, cited.length);
        assertReadingOrder(cleaned);
        if (!text.includes('[')) assert.equal(cleaned, text);
      }),
    );
  });

  it('property: each marker cites, through the new numbers, exactly the real sources the model cited there', () => {
    const marker = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 });
    const parts = fc.array(fc.tuple(fc.constantFrom('Fact', 'Another fact', 'x'), marker), { maxLength: 12 });
    fc.assert(
      fc.property(parts, (list) => {
        const answer = list.map(([words, numbers]) => `${words} [${numbers.join(', ')}].`).join(' ');
        const { text, cited } = cleanCitationMarkers(answer, 4);
        const expected = list.map(([, numbers]) => [...new Set(numbers.filter((n) => n >= 1 && n <= 4))]).filter((sources) => sources.length > 0);
        const runs = [...text.matchAll(/(?:\[\d+\])+/g)].map((run) => markerNumbers(run[0]));
        assert.equal(runs.length, expected.length, text);
        runs.forEach((run, i) => {
          assert.deepEqual(run, [...run].sort((a, b) => a - b), 'ascending within a marker');
          assert.deepEqual(run.map((n) => cited[n - 1]).sort(), [...expected[i]].sort(), `${answer} → ${text}`);
        });
        assertReadingOrder(text);
      }),
    );
  });

  it('property: streaming in any split gives the whole answer\'s text and numbers', () => {
    // Pieces of markers, and of lists around the longest a marker may be (64 characters).
    const longList = `[${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}]`;
    const pieces = [' [1]', '[2, 3]', '[3-1]', '[12]', '[4 – 6]', ' '.repeat(30), '1, 2, 3, 4, 5, 6, ', longList, longList.slice(0, 60)];
    const unit = fc.constantFrom(...'[]1234567 ,;-–ab.', ...pieces);
    const answer = fc.oneof(fc.string({ unit, maxLength: 120 }), adversarialText(300));
    fc.assert(
      fc.property(answer, fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 0, max: 12 }), (text, cuts, sourceCount) => {
        assert.deepEqual(streamed(text, cuts, sourceCount), cleanCitationMarkers(text, sourceCount));
      }),
      { numRuns: 500 },
    );
  });

  it('property: streamed one character at a time, the same', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'[]1234 ,-ab', '[2][1]'), maxLength: 80 }), (text) => {
        const cuts = Array.from({ length: text.length }, (_, i) => i);
        assert.deepEqual(streamed(text, cuts, 4), cleanCitationMarkers(text, 4));
      }),
    );
  });

  it('linear time: 1 MB of adversarial text against 25 kB', () => {
    // Beyond the shared shapes: markers whose lists hold long runs of spaces, and answers that are nearly all markers.
    const markerShapes = [
      { name: 'a marker list spaced out', make: (chars: number) => `[1${' '.repeat(chars - 5)}-2]` },
      { name: 'twenty sources cited again and again', make: (chars: number) => Array.from({ length: 20 }, (_, i) => ` [${20 - i}]`).join('').repeat(Math.ceil(chars / 91)).slice(0, chars) },
      { name: 'one long list', make: (chars: number) => `[${'3, 1, '.repeat(chars / 6)}2]` },
      { name: 'ranges again and again', make: (chars: number) => '[1-20]'.repeat(chars / 6) },
    ];
    assertLinearTime((text) => cleanCitationMarkers(text, 20), [...ADVERSARIAL_SHAPES, ...markerShapes]);
  });

  it('linear time when streamed: one small delta after another over a long answer', () => {
    const deltas = (chars: number) => Array.from({ length: chars / 4 }, (_, i) => (i % 3 === 0 ? ` [${(i % 20) + 1}` : i % 3 === 1 ? ']' : ' ab'));
    const shapes = [{ name: 'markers split across deltas', make: (chars: number) => deltas(chars).join('\u0000') }];
    assertLinearTime((joined) => {
      const filter = new CitationMarkerFilter(20);
      for (const piece of joined.split('\u0000')) filter.push(piece);
      return filter.flush();
    }, shapes);
  });
});
