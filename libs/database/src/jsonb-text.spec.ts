import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLinearTime } from '../../../test/support/linear-time';
import { jsonbText } from './jsonb-text';

test('jsonbText writes unpaired surrogates as U+FFFD, in keys and values at any depth, and leaves the rest as JSON.stringify does', () => {
  assert.equal(jsonbText({ 'te\udc00am': ['h\ud800r', { 'x\ud83d': 'y\ude00' }] }), '{"te\ufffdam":["h\ufffdr",{"x\ufffd":"y\ufffd"}]}');
  assert.equal(jsonbText('\ud800'), '"\ufffd"');
  // A pair is a character (an emoji), not two halves; the text of an escape is text.
  const plain = { emoji: '\ud83d\ude00', escape: '\\ud800', nul: 'a\u0001', when: new Date(0), n: [1, null, true], gone: undefined };
  assert.equal(jsonbText(plain), JSON.stringify(plain));
  assert.equal(jsonbText(undefined), undefined);
});

test('jsonbText is linear in its input', () => {
  assertLinearTime((text) => jsonbText({ [text]: [text] }));
});
