import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundedFetch, ERROR_BODY_MAX_BYTES, withBoundedBody } from './bounded-fetch';
import { ModelResponseTooLargeError } from './unusable-response';

/** A response whose body sends `chunk` `times` times, and records whether it was cancelled and how much was read. */
function endless(chunk: string, times: number, status = 200) {
  const seen = { pulled: 0, cancelled: false };
  const bytes = new TextEncoder().encode(chunk);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled++ === times) controller.close();
      else controller.enqueue(bytes);
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { response: new Response(body, { status, headers: { 'content-type': 'application/json' } }), seen };
}

const tooLarge = (part: string, limit: number) => (error: unknown) =>
  error instanceof ModelResponseTooLargeError && error.limitBytes === limit && error.description === `sent a ${part} over ${limit.toLocaleString('en-US')} bytes`;

test('a body within its limit is read as sent, with its status and headers', async () => {
  const { response } = endless('{"a":1}', 3);
  const bounded = withBoundedBody(response, { body: 21 });
  assert.deepEqual([bounded.status, bounded.headers.get('content-type')], [200, 'application/json']);
  assert.equal(await bounded.text(), '{"a":1}{"a":1}{"a":1}');
});

test('a body past its limit fails when read, and the rest is not read: the source is cancelled', async () => {
  const { response, seen } = endless('x'.repeat(1_000), 1_000_000);
  await assert.rejects(withBoundedBody(response, { body: 10_000 }).text(), tooLarge('response body', 10_000));
  assert.ok(seen.cancelled, 'the source is cancelled');
  assert.ok(seen.pulled < 20, `${seen.pulled} chunks read`);
});

test('an error response is bounded at ERROR_BODY_MAX_BYTES whatever the success limit', async () => {
  const big = endless('x'.repeat(64 * 1024), 1_000, 500);
  await assert.rejects(withBoundedBody(big.response, { body: 1024 ** 3 }).text(), tooLarge('response body', ERROR_BODY_MAX_BYTES));
  const streamed = endless('data: x\n\n'.repeat(1_000), 1_000, 503);
  await assert.rejects(withBoundedBody(streamed.response, { event: 1024 ** 3 }).text(), tooLarge('response body', ERROR_BODY_MAX_BYTES));
});

test('a stream is bounded by event: many small events pass, one endless event fails', async () => {
  const events = endless('data: {"choices":[]}\n\n', 10_000);
  assert.equal((await withBoundedBody(events.response, { event: 100 }).text()).length, 22 * 10_000);
  const endlessLine = endless('x'.repeat(1_000), 1_000_000);
  await assert.rejects(withBoundedBody(endlessLine.response, { event: 50_000 }).text(), tooLarge('stream event', 50_000));
  assert.ok(endlessLine.seen.cancelled);
});

test('a response without a body is returned as it is; boundedFetch bounds what its fetch returns', async () => {
  const empty = new Response(null, { status: 204 });
  assert.equal(withBoundedBody(empty, { body: 1 }), empty);
  const fetched = boundedFetch({ body: 5 }, async () => endless('123456', 1).response);
  await assert.rejects((await fetched('http://model.invalid/v1/embeddings')).json(), tooLarge('response body', 5));
});
