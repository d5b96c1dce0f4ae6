import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import { BytePairEncoder } from './byte-pair-encoder';

describe('BytePairEncoder (cl100k_base)', () => {
  const encoder = new BytePairEncoder(cl100kBase);
  const reference = new Tiktoken(cl100kBase);

  it('gives the same token ids and text as js-tiktoken, on text built to hit the odd cases', () => {
    // Repeated pairs (ties in the merge order), numbers, whitespace and line-break runs, accents, CJK,
    // emoji (4-byte UTF-8), a lone surrogate, special-token lookalikes.
    const parts = ['a', 'aa', 'aaaa', 'e', ' ', '  ', '\n', '\r\n', '\n\n', '\t', '.', ',', '1', '23', '456', '7890', 'é', 'ü', 'ß',
      '日本', '語', '😀', '—', '-', '(', ')', "'s", "'LL", 'The', 'ing', 'tion', 'Ω', '\u00a0', '\ud800', '<|endoftext|>', 'naïve'];
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 1500; i++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 60) }, () => parts[Math.floor(random() * parts.length)]).join('');
      const expected = reference.encode(text, [], []);
      assert.deepEqual(encoder.encode(text), expected, JSON.stringify(text));
      assert.equal(encoder.decode(expected), reference.decode(expected));
      // A slice of ids may cut a multi-byte character: both decode it to the same replacement characters.
      assert.equal(encoder.decode(expected.slice(1, -1)), reference.decode(expected.slice(1, -1)));
    }
  });

  it('gives the same token ids as js-tiktoken on pieces hundreds of bytes long (many merges in one piece)', () => {
    let seed = 11;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const alphabets = ['abcdefghijklmnopqrstuvwxyz', 'aaab', 'éèêëàâ', 'ABCabc'];
    for (let i = 0; i < 60; i++) {
      const letters = alphabets[i % alphabets.length];
      const text = Array.from({ length: 50 + Math.floor(random() * 350) }, () => letters[Math.floor(random() * letters.length)]).join('');
      assert.deepEqual(encoder.encode(text), reference.encode(text, [], []), text);
    }
  });

  it('encodes one piece as the whole encoder does', () => {
    assert.deepEqual(encoder.encodePiece(' retrieval'), reference.encode(' retrieval', [], []));
    assert.deepEqual(encoder.encodePiece('hello'), [15339]);
  });
});
