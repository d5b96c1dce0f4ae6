import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ADVERSARIAL_SHAPES, adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { CitationMarkerFilter, cleanCitationMarkers } from './citation-markers';

describe('citation markers', () => {
  it('keeps markers of real sources and records what is cited, in order', () => {
    assert.deepEqual(cleanCitationMarkers('Twenty days [2]. Badges always [1][2].', 3), { text: 'Twenty days [2]. Badges always [1][2].', cited: [2, 1] });
  });

  it('normalises lists and ranges to one bracket per source', () => {
    assert.equal(cleanCitationMarkers('A [1, 3]. B [1-3]. C [2 – 3].', 3).text, 'A [1][3]. B [1][2][3]. C [2][3].');
  });

  it('drops numbers without a source, and an emptied marker with the space before it', () => {
    assert.deepEqual(cleanCitationMarkers('Days [7]. Badges [1, 9] always [0].', 2), { text: 'Days. Badges [1] always.', cited: [1] });
  });

  it('leaves other brackets alone', () => {
    assert.equal(cleanCitationMarkers('See [appendix] and [1a] and a[1] and [', 2).text, 'See [appendix] and [1a] and a[1] and [');
  });

  it('streams: holds back only a marker that may be incomplete', () => {
    const filter = new CitationMarkerFilter(12);
    const pieces = ['Employees get 27 days ', '[', '1', '2', ']', ' and badges [3', '1]. Done'];
    const shown = pieces.map((piece) => filter.push(piece));
    shown.push(filter.flush());
    assert.deepEqual(shown, ['Employees get 27 days', '', '', '', ' [12]', ' and badges', '. Done', '']);
    assert.deepEqual(filter.cited, [12]);
  });

  it('a bracket that turns out not to be a marker is released as soon as that is clear', () => {
    const filter = new CitationMarkerFilter(3);
    assert.equal(filter.push('see [2'), 'see');
    assert.equal(filter.push('x] now'), ' [2x] now');
    assert.equal(filter.flush(), '');
  });

  it('a list with long runs of spaces is still read as one marker', () => {
    assert.equal(cleanCitationMarkers(`A [1${' '.repeat(10_000)}, 2${' '.repeat(10_000)}-${' '.repeat(10_000)}3].`, 3).text, 'A [1][2][3].');
  });

  it('property: only real sources are cited, and text without brackets passes unchanged', () => {
    const answer = fc.oneof(adversarialText(2_000), fc.string({ unit: fc.constantFrom(...'[]1234567890 ,;-–ab.'), maxLength: 200 }));
    fc.assert(
      fc.property(answer, (text) => {
        const { text: cleaned, cited } = cleanCitationMarkers(text, 3);
        assert.ok(cited.every((n) => n >= 1 && n <= 3), JSON.stringify(cited));
        if (!text.includes('[')) assert.equal(cleaned, text);
      }),
    );
  });

  it('linear time: 1 MB of adversarial text against 25 kB', () => {
    // Beyond the shared shapes: markers whose lists hold long runs of spaces.
    const spacedMarker = [{ name: 'a marker list spaced out', make: (chars: number) => `[1${' '.repeat(chars - 5)}-2]` }];
    assertLinearTime((text) => cleanCitationMarkers(text, 3), [...ADVERSARIAL_SHAPES, ...spacedMarker]);
  });
});
