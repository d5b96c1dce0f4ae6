import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOutOfStorage } from './insufficient-storage';

const withCode = (code: string) => Object.assign(new Error(code), { code });

test('a full disk is recognised by its code: ENOSPC, EDQUOT, PostgreSQL disk_full (53100); nothing else is', () => {
  for (const code of ['ENOSPC', 'EDQUOT', '53100']) assert.equal(isOutOfStorage(withCode(code)), true, code);
  for (const code of ['ENOENT', 'EACCES', '53200', '53300']) assert.equal(isOutOfStorage(withCode(code)), false, code);
  assert.equal(isOutOfStorage({ code: 'ENOSPC' }), false, 'not an Error');
  assert.equal(isOutOfStorage(new Error('ENOSPC: no space left on device')), false, 'the message is not read');
});
