import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { Separator, splitByTokens, splitSentences } from './text-units';

type Sentence = { text: string; separator: Separator };

const isSpace = (char: string | undefined): boolean => char !== undefined && char.trim() === '';

/**
 * The sentence rule read literally, trying every position in turn as a regular expression engine would: a break
 * is the whitespace after . ! ? or … (and closing quotes) when an opening character follows it, or the
 * (possibly empty) whitespace after a CJK stop. Quadratic, and independent of the implementation's scan.
 */
function referenceSentences(paragraph: string): Sentence[] {
  const chars = [...paragraph]; // by code point, so a capital outside the BMP is one character
  const sentences: Sentence[] = [];
  let start = 0;
  let separator: Separator = ' ';
  const emit = (from: number, to: number) => {
    const text = chars.slice(from, to).join('').trim();
    if (text) sentences.push({ text, separator });
  };
  for (let p = 0; p <= chars.length; p++) {
    let end = p;
    while (isSpace(chars[end])) end++;
    let before = p - 1;
    while (before >= 0 && `'"’”)]`.includes(chars[before])) before--;
    const afterStop = before >= 0 && '.!?…'.includes(chars[before]);
    const opens = end < chars.length && /^[\p{Lu}\p{Lt}\p{N}"'“‘([]$/u.test(chars[end]);
    const cjk = p > 0 && '。！？'.includes(chars[p - 1]);
    if ((afterStop && end > p && opens) || cjk) {
      emit(start, p);
      separator = chars.slice(p, end).includes('\n') ? '\n' : ' ';
      start = end;
      if (end > p) p = end - 1; // the next search starts where this match ended
    }
  }
  emit(start, chars.length);
  return sentences;
}

/** Adversarial text with sentence-ish material mixed in, so breaks do occur. */
const paragraphs = fc.oneof(
  adversarialText(300),
  fc
    .array(
      fc.constantFrom(...'Ab3É.!?…"\'’”)](["“‘。！？ \n\t\u00a0', '𝐀'), // 𝐀: a capital outside the BMP
      { maxLength: 200 },
    )
    .map((chars) => chars.join('')),
);

describe('splitSentences', () => {
  it('splits at sentence ends followed by an opening character, and after CJK stops', () => {
    assert.deepEqual(
      [...splitSentences('He said "Stop." Then left.\nA 3.5 mg dose, e.g. this one! (Twice.) 東京。大阪！ 次')],
      [
        { text: 'He said "Stop."', separator: ' ' },
        { text: 'Then left.', separator: ' ' },
        { text: 'A 3.5 mg dose, e.g. this one!', separator: '\n' },
        // 東 is no capital (CJK has no case), so only the CJK stop after it breaks.
        { text: '(Twice.) 東京。', separator: ' ' },
        { text: '大阪！', separator: ' ' },
        { text: '次', separator: ' ' },
      ],
    );
  });

  it('finds the same sentences as the rule read literally, on adversarial text', () => {
    fc.assert(
      fc.property(paragraphs, (paragraph) => {
        assert.deepEqual([...splitSentences(paragraph)], referenceSentences(paragraph));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every non-whitespace character, in order', () => {
    fc.assert(
      fc.property(paragraphs, (paragraph) => {
        const kept = [...splitSentences(paragraph)].map((s) => s.text).join('');
        assert.equal(kept.replace(/\s/g, ''), paragraph.replace(/\s/g, ''));
      }),
    );
  });

  it('takes linear time on adversarial text', () => {
    assertLinearTime((text) => {
      let count = 0;
      for (const sentence of splitSentences(text)) count += sentence.text.length;
      return count;
    });
  });
});

describe('splitByTokens', () => {
  it('cuts into pieces within the budget that rejoin to the text, on adversarial text', () => {
    fc.assert(
      fc.property(adversarialText(200), fc.integer({ min: 4, max: 20 }), (text, maxTokens) => {
        const pieces = [...splitByTokens(text, maxTokens)];
        let rejoined = '';
        for (const [i, piece] of pieces.entries()) {
          assert.ok(piece.tokens <= maxTokens || piece.text.length === 1, `piece ${i} has ${piece.tokens} tokens`);
          assert.equal(piece.text, piece.text.trim());
          rejoined += (i === 0 ? '' : piece.separator) + piece.text;
        }
        // Whitespace between pieces becomes one separator; everything else is kept.
        assert.equal(rejoined.replace(/\s/g, ''), text.replace(/\s/g, ''));
        assert.equal(text.trim() === '', pieces.length === 0);
      }),
      { numRuns: 200 },
    );
  });
});
