import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APIError } from 'openai';
import { callWithRetries, ModelCallError, RetryPolicy } from './retry';

const POLICY: RetryPolicy = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, random: () => 0 };

/** Calls a request failing with `failures` in turn under `policy`; resolves to what it returned or threw, and how often it was called. */
async function attempts(failures: unknown[], policy = POLICY): Promise<{ outcome: unknown; calls: number }> {
  let calls = 0;
  const send = async () => {
    const failure = failures[calls++];
    if (failure === undefined) return 'answered';
    throw failure;
  };
  const outcome = await callWithRetries(send, { kind: 'embedding', model: 'm', policy, signal: new AbortController().signal }).catch((error: unknown) => error);
  return { outcome, calls };
}

/** Node's error for a response body longer than V8's longest string (about 512 MiB). */
function stringTooLong(): Error {
  return Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), { code: 'ERR_STRING_TOO_LONG' });
}

describe('callWithRetries with responses that break while they are read', () => {
  it('retries a connection dropped mid-body (undici: TypeError terminated), as any network failure', async () => {
    const dropped = new TypeError('terminated', { cause: new Error('other side closed') });
    assert.deepEqual(await attempts([dropped]), { outcome: 'answered', calls: 2 });
    const { outcome, calls } = await attempts([dropped, dropped, dropped]);
    assert.ok(outcome instanceof ModelCallError);
    assert.deepEqual([outcome.transient, outcome.failure.description, outcome.attempts, calls], [true, 'dropped the connection', 3, 3]);
  });

  it('ends a body that is not JSON, or too long for a string, with a ModelCallError at once, its text for the log only', async () => {
    for (const unreadable of [new SyntaxError('Unexpected token \'B\', "Bad key sk-LEAK-9" is not valid JSON'), stringTooLong()]) {
      const { outcome, calls } = await attempts([unreadable]);
      assert.ok(outcome instanceof ModelCallError, String(outcome));
      assert.equal(calls, 1);
      assert.equal(outcome.transient, false);
      assert.equal(outcome.failure.description, 'sent a response that could not be read');
      assert.equal(outcome.failure.providerMessage, unreadable.message);
      assert.doesNotMatch(outcome.message, /sk-LEAK|0x1fffffe8/);
    }
  });
});

describe('callWithRetries and Retry-After', () => {
  const throttled = (seconds: number) => APIError.generate(429, { error: { message: 'slow down' } }, undefined, new Headers({ 'retry-after': String(seconds) }));

  it('waits at most maxDelayMs, however long Retry-After asks', async () => {
    const started = Date.now();
    assert.deepEqual(await attempts([throttled(3600)]), { outcome: 'answered', calls: 2 });
    assert.ok(Date.now() - started < 1000);
  });

  it('with someone waiting (giveUpOnLongRetryAfter), fails at once when Retry-After asks longer, and waits a shorter one', async () => {
    const waiting = { ...POLICY, maxDelayMs: 50, giveUpOnLongRetryAfter: true };
    const { outcome, calls } = await attempts([throttled(3600)], waiting);
    assert.ok(outcome instanceof ModelCallError);
    assert.deepEqual([outcome.failure.status, outcome.attempts, calls], [429, 1, 1]);
    assert.deepEqual(await attempts([throttled(0.02)], waiting), { outcome: 'answered', calls: 2 });
  });
});
