import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fnv1a, mix32 } from './feature-hashing';

function referenceFnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

describe('feature hashing', () => {
  it('computes 32-bit FNV-1a over UTF-8 bytes', () => {
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(fnv1a('foobar'), 0xbf9cf968);
    for (const text of ['naïve', '日本語', '😀 emoji', 'ß→∑', '\u{10FFFF}']) assert.equal(fnv1a(text), referenceFnv1a(text));
  });

  it('continues a hash, so a bigram hashes like its joined text', () => {
    assert.equal(fnv1a('tea', fnv1a('green ')), fnv1a('green tea'));
  });

  it('mixes to unsigned 32-bit values that depend on the seed', () => {
    const h = fnv1a('word');
    assert.ok(mix32(h) >= 0 && mix32(h) <= 0xffffffff);
    assert.notEqual(mix32(h, 1), mix32(h, 2));
    assert.equal(mix32(h, 7), mix32(h, 7));
  });
});
