import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachPageInTurn } from './page-turns';

/** Holds the thread for `ms`, as chunking a dense page does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('forEachPageInTurn lets timers run between pages whose work waits on nothing', async () => {
  const order: string[] = [];
  // A lock renewal due now: it must not wait for the last page.
  setTimeout(() => order.push('timer'), 0);
  await forEachPageInTurn([1, 2, 3, 4], async (page) => {
    busy(5);
    order.push(`page ${page}`);
  });
  const timer = order.indexOf('timer');
  assert.ok(timer !== -1 && timer < order.indexOf('page 2'), order.join(', '));
  assert.deepEqual(order.filter((entry) => entry !== 'timer'), ['page 1', 'page 2', 'page 3', 'page 4']);
});

test('forEachPageInTurn stops at the first page that fails', async () => {
  const seen: number[] = [];
  await assert.rejects(
    forEachPageInTurn([1, 2, 3], async (page) => {
      seen.push(page);
      if (page === 2) throw new Error('too much text');
    }),
    /too much text/,
  );
  assert.deepEqual(seen, [1, 2]);
});
