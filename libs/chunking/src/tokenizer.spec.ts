import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import { countTokens, countTokensWithin, decodeTokens, encodeTokens } from './tokenizer';

describe('tokenizer', () => {
  it('matches js-tiktoken cl100k_base on ordinary text', () => {
    const reference = new Tiktoken(cl100kBase);
    const text = 'Retrieval-augmented generation (RAG) grounds answers in sources.\n\nIt was 37.5% better in 2024; naïve baselines — not so much. 日本語も。';
    assert.deepEqual(encodeTokens(text), reference.encode(text, [], []));
    assert.equal(countTokens(text), reference.encode(text, [], []).length);
    assert.equal(countTokens('hello world'), 2);
    assert.equal(countTokens(''), 0);
  });

  it('round-trips through decode, special-token lookalikes included', () => {
    const text = 'Say <|endoftext|> and 😀 and ünïcödé';
    assert.equal(decodeTokens(encodeTokens(text)), text);
  });

  it('keeps a leading U+FEFF (byte-order mark) through decode', () => {
    assert.equal(decodeTokens(encodeTokens('\ufeffHello')), '\ufeffHello');
  });

  // Unguarded, js-tiktoken needs minutes for this (its merge is superlinear in the piece length): the
  // timeout catches a regression of the guard; speed itself belongs in a benchmark.
  it('counts a very long run without whitespace', { timeout: 60_000 }, () => {
    assert.ok(countTokens('a'.repeat(100_000)) > 0);
  });

  // The PDF extraction process imports this library for its character normalisation; the 2 MB rank file must
  // not sit on its capped heap. A fresh process shows what importing alone loads.
  it('loads the rank file when the first token is counted, not when the library is imported', () => {
    const script = `
      const loaded = () => Object.keys(require.cache).some((path) => path.includes('cl100k_base'));
      const chunking = require(${JSON.stringify(join(__dirname, 'index.js'))});
      const before = loaded();
      chunking.countTokens('hello');
      console.log(JSON.stringify({ before, after: loaded() }));`;
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })), { before: false, after: true });
  });
});

it('countTokensWithin: the exact count when the text fits; otherwise the longest prefix within the limit, counting no further', () => {
  const text = 'The copper valve opens at dawn. The brass lever locks at dusk. '.repeat(20);
  const total = countTokens(text);
  assert.deepEqual(countTokensWithin(text, total), { tokens: total, fits: true, end: text.length });
  for (const limit of [0, 1, 7, 50, total - 1]) {
    const within = countTokensWithin(text, limit);
    assert.equal(within.fits, false);
    assert.ok(within.tokens <= limit);
    assert.equal(countTokens(text.slice(0, within.end)), within.tokens, `limit ${limit}`);
    // One piece more would not have fitted.
    assert.ok(countTokens(text.slice(0, within.end + 8)) > limit || within.end + 8 >= text.length);
  }
  // A piece longer than the room (a run without spaces) does not fit, and the text is cut before it.
  const run = `Runaway ${'a'.repeat(100_000)}`;
  assert.deepEqual(countTokensWithin(run, 50), { tokens: countTokens('Runaway'), fits: false, end: 'Runaway'.length });
  assert.deepEqual(countTokensWithin(run, countTokens(run)), { tokens: countTokens(run), fits: true, end: run.length });
});
