import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '@app/errors';
import { ADVERSARIAL_SHAPES, assertLinearTime } from '../../../../test/support/linear-time';
import { nulCharacterAt, RefuseNulCharacters } from './nul-characters';

test('nulCharacterAt gives the path of the first string holding U+0000, keys included', () => {
  assert.equal(nulCharacterAt('plain text'), null);
  assert.equal(nulCharacterAt('a\u0000b'), '');
  assert.equal(nulCharacterAt({ query: 'x', filters: { team: { $in: ['hr', 'o\u0000ps'] } } }), 'filters.team.$in.1');
  assert.equal(nulCharacterAt({ filters: { 'te\u0000am': 'hr' } }), 'filters');
  assert.equal(nulCharacterAt([1, null, true, { a: ['ok'] }]), null);
  // Look-alikes are text, not the character: an escape's six characters, and the code point U+2400.
  assert.equal(nulCharacterAt({ a: '\\u0000', b: '\u2400' }), null);
  const wide = Array.from({ length: 10_000 }, (_, i) => (i === 9_999 ? '\u0000' : `word ${i}`));
  assert.equal(nulCharacterAt({ messages: wide }), 'messages.9999');
});

test('the pipe refuses body, query and path values holding U+0000, naming the field, and leaves custom ones', () => {
  const pipe = new RefuseNulCharacters();
  assert.deepEqual(pipe.transform({ query: 'fine' }, { type: 'body' }), { query: 'fine' });
  assert.throws(() => pipe.transform({ query: 'a\u0000' }, { type: 'body' }), (error: ValidationError) => {
    assert.equal(error.code, 'validation_failed');
    assert.deepEqual(error.details, [{ field: 'query', problems: ['query contains the NUL character (U+0000), which cannot be stored'] }]);
    return true;
  });
  assert.throws(() => pipe.transform('a\u0000', { type: 'param', data: 'id' }), /^ValidationError: id contains the NUL/);
  assert.throws(() => pipe.transform({ cursor: '\u0000' }, { type: 'query' }), /^ValidationError: cursor contains/);
  const principal = { tenant: 'a\u0000' };
  assert.equal(pipe.transform(principal, { type: 'custom' }), principal);
});

test('nulCharacterAt is linear in the text it reads', () => {
  assertLinearTime((text) => nulCharacterAt({ query: text, words: text.split(' ', 1_000) }), ADVERSARIAL_SHAPES);
});
