import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callWithRetries, ModelCallError, RetryPolicy } from './retry';

const POLICY: RetryPolicy = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, random: () => 0 };

/** Calls `send` under POLICY; resolves to what it returned or threw, and how often it was called. */
async function attempts(failures: unknown[]): Promise<{ outcome: unknown; calls: number }> {
  let calls = 0;
  const send = async () => {
    const failure = failures[calls++];
    if (failure === undefined) return 'answered';
    throw failure;
  };
  const outcome = await callWithRetries(send, { kind: 'embedding', model: 'm', policy: POLICY, signal: new AbortController().signal }).catch((error: unknown) => error);
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
