import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { diskSpaceOf, formatBytes, isLowOnSpace } from './disk-space';

const GiB = 1024 ** 3;

describe('disk space', () => {
  it('reads what statfs says of the directory’s file system', async () => {
    const { bsize, bavail, blocks } = statfsSync(tmpdir());
    const space = await diskSpaceOf(tmpdir());
    assert.equal(space.totalBytes, bsize * blocks);
    // Others write to the same disk meanwhile: within 64 MiB.
    assert.ok(Math.abs(space.freeBytes - bsize * bavail) < 64 * 1024 ** 2);
  });

  it('calls a disk low under 1 GiB free, or under 5 % of a large one', () => {
    assert.equal(isLowOnSpace({ freeBytes: 0.9 * GiB, totalBytes: 10 * GiB }), true);
    assert.equal(isLowOnSpace({ freeBytes: 1.1 * GiB, totalBytes: 10 * GiB }), false);
    assert.equal(isLowOnSpace({ freeBytes: 40 * GiB, totalBytes: 1000 * GiB }), true);
    assert.equal(isLowOnSpace({ freeBytes: 60 * GiB, totalBytes: 1000 * GiB }), false);
  });

  it('formats sizes in decimal megabytes or gigabytes', () => {
    assert.deepEqual([formatBytes(4 * 1024 ** 2), formatBytes(51.23e9)], ['4.2 MB', '51.2 GB']);
  });
});
