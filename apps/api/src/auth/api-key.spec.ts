import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiKeyPrefix, apiKeySha256, bearerToken, generateApiKey, sameDigest } from './api-key';

test('generated keys carry their public prefix and the SHA-256 of the whole key', () => {
  const { key, prefix, sha256 } = generateApiKey();
  assert.match(key, /^gwk_[0-9a-f]{12}_[\w-]{43}$/);
  assert.equal(apiKeyPrefix(key), prefix);
  assert.ok(key.startsWith(`${prefix}_`));
  assert.deepEqual(sha256, apiKeySha256(key));
  assert.notEqual(generateApiKey().key, key);
});

test('keys not in the generated format have no prefix', () => {
  for (const key of ['', 'my-admin-secret', 'gwk_xyz', 'gwk_0123456789abXsecret', 'gwk_0123456789AB_secret']) {
    assert.equal(apiKeyPrefix(key), null, key);
  }
  assert.equal(apiKeyPrefix('gwk_0123456789ab_s'), 'gwk_0123456789ab');
});

test('bearer tokens are read from the Authorization header only in the Bearer scheme', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer   abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), null);
  assert.equal(bearerToken('Bearer'), null);
  assert.equal(bearerToken('Bearer a b'), null);
  assert.equal(bearerToken(undefined), null);
});

test('digests compare equal only when identical, including length', () => {
  const a = apiKeySha256('one');
  assert.equal(sameDigest(a, apiKeySha256('one')), true);
  assert.equal(sameDigest(a, apiKeySha256('two')), false);
  assert.equal(sameDigest(a, a.subarray(0, 16)), false);
});
