import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, parseRetryAfterMs } from './backoff';

describe('backoffDelayMs', () => {
  const base = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('draws uniformly below an exponentially growing ceiling (full jitter)', () => {
    assert.equal(backoffDelayMs(1, { ...base, random: () => 0.5 }), 50);
    assert.equal(backoffDelayMs(2, { ...base, random: () => 0.5 }), 100);
    assert.equal(backoffDelayMs(3, { ...base, random: () => 0.999 }), 399);
    assert.equal(backoffDelayMs(1, { ...base, random: () => 0 }), 0);
  });

  it('never exceeds maxDelayMs', () => {
    assert.equal(backoffDelayMs(30, { ...base, random: () => 0.999999 }), 999);
    for (let attempt = 1; attempt < 12; attempt++) assert.ok(backoffDelayMs(attempt, base) < 1000);
  });

  it('honours Retry-After in seconds or as an HTTP date, capped at maxDelayMs', () => {
    assert.equal(backoffDelayMs(1, { ...base, retryAfter: '0.5', random: () => 0 }), 500);
    assert.equal(backoffDelayMs(1, { ...base, retryAfter: '120' }), 1000);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(backoffDelayMs(1, { ...base, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT', now: () => now - 700 }), 700);
  });

  it('falls back to jitter when Retry-After is absent or unreadable', () => {
    assert.equal(backoffDelayMs(2, { ...base, retryAfter: null, random: () => 0.25 }), 50);
    assert.equal(backoffDelayMs(2, { ...base, retryAfter: 'soon', random: () => 0.25 }), 50);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds, HTTP dates (past ones as 0) and rejects the rest', () => {
    assert.equal(parseRetryAfterMs('3'), 3000);
    assert.equal(parseRetryAfterMs(' 0 '), 0);
    assert.equal(parseRetryAfterMs('Thu, 01 Jan 1970 00:00:00 GMT'), 0);
    assert.equal(parseRetryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', () => 4000), 6000);
    assert.equal(parseRetryAfterMs(undefined), null);
    assert.equal(parseRetryAfterMs(''), null);
    assert.equal(parseRetryAfterMs('-1'), null);
    assert.equal(parseRetryAfterMs('later'), null);
  });
});
