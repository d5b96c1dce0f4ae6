import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admitUpload, hasQuota, QuotaExceededError } from './tenant-quota';

const unlimited = { maxDocumentsPerTenant: null, maxBytesPerTenant: null };

function refusal(run: () => void): QuotaExceededError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof QuotaExceededError);
    return error;
  }
  assert.fail('the upload was admitted');
}

describe('admitUpload', () => {
  it('admits anything when no quota is set', () => {
    assert.equal(hasQuota(unlimited), false);
    admitUpload(unlimited, { documents: 1e9, bytes: 1e15 }, 1e12);
  });

  it('admits the last document that fits and refuses the next with the figures', () => {
    const quotas = { ...unlimited, maxDocumentsPerTenant: 3 };
    assert.equal(hasQuota(quotas), true);
    admitUpload(quotas, { documents: 2, bytes: 0 }, 10);
    const error = refusal(() => admitUpload(quotas, { documents: 3, bytes: 0 }, 10));
    assert.equal(error.status, 429);
    assert.equal(error.code, 'quota_exceeded');
    assert.deepEqual(error.details, { quota: 'documents', limit: 3, used: 3 });
  });

  it('admits bytes up to the limit exactly and refuses one more, naming the upload’s size', () => {
    const quotas = { ...unlimited, maxBytesPerTenant: 100 };
    admitUpload(quotas, { documents: 5, bytes: 60 }, 40);
    const error = refusal(() => admitUpload(quotas, { documents: 5, bytes: 60 }, 41));
    assert.deepEqual(error.details, { quota: 'bytes', limit: 100, used: 60, upload_bytes: 41 });
  });

  it('while the upload’s size is unknown, refuses bytes only when none are left', () => {
    const quotas = { maxDocumentsPerTenant: 10, maxBytesPerTenant: 100 };
    admitUpload(quotas, { documents: 1, bytes: 99 });
    assert.deepEqual(refusal(() => admitUpload(quotas, { documents: 1, bytes: 100 })).details, { quota: 'bytes', limit: 100, used: 100 });
    assert.equal((refusal(() => admitUpload(quotas, { documents: 10, bytes: 0 })).details as { quota: string }).quota, 'documents');
  });
});
