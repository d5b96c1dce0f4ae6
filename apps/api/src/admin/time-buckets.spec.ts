import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketStart, fillBuckets } from './time-buckets';

test('bucketStart aligns to the epoch', () => {
  assert.equal(bucketStart(new Date('2026-03-01T10:07:59.999Z'), 300).toISOString(), '2026-03-01T10:05:00.000Z');
  assert.equal(bucketStart(new Date('2026-03-01T10:05:00.000Z'), 300).toISOString(), '2026-03-01T10:05:00.000Z');
});

test('fillBuckets returns every bucket up to the current one, filling gaps', () => {
  const now = new Date('2026-03-01T10:07:00Z');
  const rows = [
    { bucketStart: new Date('2026-03-01T09:55:00Z'), n: 4 },
    { bucketStart: new Date('2026-03-01T10:05:00Z'), n: 2 },
    { bucketStart: new Date('2026-03-01T08:00:00Z'), n: 99 }, // outside the window: ignored
  ];
  const buckets = fillBuckets(rows, now, 300, 4, (start, row) => ({ start: start.toISOString().slice(11, 16), n: row?.n ?? 0 }));
  assert.deepEqual(buckets, [
    { start: '09:50', n: 0 },
    { start: '09:55', n: 4 },
    { start: '10:00', n: 0 },
    { start: '10:05', n: 2 },
  ]);
});
