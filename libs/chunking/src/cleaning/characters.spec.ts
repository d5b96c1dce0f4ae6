import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLinearTime } from '../../../../test/support/linear-time';
import { normaliseCharacters } from './characters';

test('ligatures become their letters', () => {
  assert.equal(normaliseCharacters('\ufb01nd the \ufb02ow, o\ufb00er, e\ufb03cient, ba\ufb04ed, \ufb06op, \ufb05'), 'find the flow, offer, efficient, baffled, stop, st');
});

test('a soft hyphen at a line end joins the word; elsewhere it disappears', () => {
  assert.equal(normaliseCharacters('pro\u00ad\nduce these bits'), 'produce these bits');
  assert.equal(normaliseCharacters('pro\u00ad \n duce'), 'produce');
  assert.equal(normaliseCharacters('hyphen\u00adation and co\u00adop'), 'hyphenation and coop');
});

test('zero-width characters go, joiners that change how a script is written stay', () => {
  assert.equal(normaliseCharacters('zero\u200bwidth\u2060joined\ufeff'), 'zerowidthjoined');
  assert.equal(normaliseCharacters('\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \ud83d\udc69\u200d\ud83d\udcbb'), '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \ud83d\udc69\u200d\ud83d\udcbb');
});

test('no NFKC: superscripts, fractions and full-width forms are left as they are', () => {
  assert.equal(normaliseCharacters('m² ½ ＡＢＣ x₁'), 'm² ½ ＡＢＣ x₁');
});

test('a lone surrogate becomes U+FFFD; a surrogate pair (an emoji) stays', () => {
  assert.equal(normaliseCharacters('a\uD800b\uDC00c😀'), 'a\uFFFDb\uFFFDc😀');
});

test('normaliseCharacters takes linear time on adversarial text', () => {
  assertLinearTime(normaliseCharacters);
  assertLinearTime(normaliseCharacters, [
    { name: 'soft hyphens and spaces', make: (chars) => '\u00ad   '.repeat(chars / 4) },
    { name: 'soft hyphen, spaces, no line break', make: (chars) => '\u00ad' + ' '.repeat(chars) },
  ]);
});
