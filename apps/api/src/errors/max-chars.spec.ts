import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLinearTime } from '../../../../test/support/linear-time';
import { codePointLength } from './max-chars';

test('codePointLength counts as PostgreSQL does: a surrogate pair is one character, a selector or a lone half is one', () => {
  assert.equal(codePointLength(''), 0);
  assert.equal(codePointLength('abc'), 3);
  assert.equal(codePointLength('😀😀'), 2);
  assert.equal(codePointLength('a\ufe0f'), 2);
  assert.equal(codePointLength('\ud800a\udc00'), 3);
  assert.equal(codePointLength('\ud83d'), 1);
  assert.equal(codePointLength('x\ud83d\ude00'), 2);
});

test('codePointLength is linear in its input', () => {
  assertLinearTime((text) => codePointLength(text));
});
