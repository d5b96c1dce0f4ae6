import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { answerCacheKeys, AnswerCacheScope, canonicalJson, cosineOfUnitVectors, MAX_CACHED_QUERY_CHARS, meaningGuard, normalizeQuery } from './answer-cache-keys';

const scope: AnswerCacheScope = { collectionId: 'c1', contentVersion: 3, filters: { year: { $gte: 2024 }, team: 'hr' }, mode: 'hybrid', topK: 8, context: 'chunks', generator: 'extractive-v1' };

test('questions differing only in case, spacing and end punctuation normalise alike', () => {
  assert.equal(normalizeQuery('  How many  Vacation\tdays?? '), 'how many vacation days');
  assert.equal(normalizeQuery('How many vacation days.'), normalizeQuery('how many vacation days'));
  assert.notEqual(normalizeQuery('vacation days 2024'), normalizeQuery('vacation days 2025'));
});

test('canonical JSON ignores key order at every level', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
});

test('keys change with every part of the scope, and live under the prefix, answer format, collection and version', () => {
  const keys = answerCacheKeys('gw', scope);
  // Format 2: citations numbered in reading order. Answers cached as format 1 (gw:answers:c1:3:…) are never read.
  assert.match(keys.exact('q'), /^gw:answers:v3:c1:3:exact:[0-9a-f]{64}$/);
  assert.match(keys.semantic, /^gw:answers:v3:c1:3:semantic:[0-9a-f]{64}$/);
  assert.equal(answerCacheKeys('gw', { ...scope, filters: { team: 'hr', year: { $gte: 2024 } } }).exact('q'), keys.exact('q'));
  for (const changed of [{ contentVersion: 4 }, { filters: undefined }, { mode: 'vector' }, { topK: 9 }, { context: 'pages' }, { generator: 'openai:gpt-4o-mini' }, { collectionId: 'c2' }]) {
    assert.notEqual(answerCacheKeys('gw', { ...scope, ...changed }).exact('q'), keys.exact('q'), JSON.stringify(changed));
  }
  assert.notEqual(keys.exact('q1'), keys.exact('q2'));
});

test('the meaning guard catches negations and numbers that embeddings blur', () => {
  assert.notEqual(meaningGuard('is smoking allowed'), meaningGuard('is smoking not allowed'));
  assert.notEqual(meaningGuard("smoking is allowed"), meaningGuard("smoking isn't allowed"));
  assert.notEqual(meaningGuard('holidays in 2024'), meaningGuard('holidays in 2025'));
  assert.notEqual(meaningGuard('parts of unit 1-2'), meaningGuard('parts of unit 2-1'));
  assert.equal(meaningGuard('how many vacation days do new employees get'), meaningGuard('how many vacation days do the new employees get'));
});

test('cosine of unit vectors is their dot product; mismatched lengths never match', () => {
  assert.equal(cosineOfUnitVectors(Float32Array.of(1, 0), Float32Array.of(1, 0)), 1);
  assert.equal(cosineOfUnitVectors(Float32Array.of(1, 0), Float32Array.of(0, 1)), 0);
  assert.equal(cosineOfUnitVectors(Float32Array.of(1, 0), Float32Array.of(1, 0, 0)), -1);
});

test('property: normalising is idempotent, bounded, and leaves no end punctuation or doubled spaces', () => {
  fc.assert(
    fc.property(fc.oneof(adversarialText(6_000), fc.string({ unit: fc.constantFrom(...'Ab1 ?.!\t\n'), maxLength: 100 })), (query) => {
      const normalized = normalizeQuery(query);
      assert.equal(normalizeQuery(normalized), normalized);
      assert.doesNotMatch(normalized, /[ ?.!]$|^ | {2}/);
      assert.ok(normalized.length <= normalizeQuery(query.slice(0, MAX_CACHED_QUERY_CHARS)).length);
      assert.equal(meaningGuard(normalized), meaningGuard(normalizeQuery(query.slice(0, MAX_CACHED_QUERY_CHARS))));
    }),
  );
});

test('linear time: 1 MB of adversarial text against 25 kB, uncapped (the cap is 4,000 characters, below both)', () => {
  // Retrying: NFKC, lowercasing and whitespace collapsing each allocate a new megabyte string, which lands near the bound.
  assertLinearTime((query) => meaningGuard(normalizeQuery(query, Infinity), Infinity));
});
