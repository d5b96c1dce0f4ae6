import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRIORITY_LIMIT } from 'bullmq';
import { tenantPriority } from './tenant-priority';

describe('tenantPriority', () => {
  it('gives a tenant’s n-th pending document priority n', () => {
    assert.deepEqual([1, 2, 200].map(tenantPriority), [1, 2, 200]);
  });

  it('is never 0 (BullMQ would run such a job before every prioritized one)', () => {
    assert.equal(tenantPriority(0), 1);
    assert.equal(tenantPriority(-3), 1);
  });

  it('is capped at BullMQ’s limit, past which adding a job fails', () => {
    assert.equal(PRIORITY_LIMIT, 2_097_151);
    assert.equal(tenantPriority(PRIORITY_LIMIT), PRIORITY_LIMIT);
    assert.equal(tenantPriority(10_000_000), PRIORITY_LIMIT);
  });
});
