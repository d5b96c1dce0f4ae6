import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedWhileRunning } from './shared-while-running';

/** Work that counts its runs and settles when told. */
function controlledWork() {
  let runs = 0;
  let settle: { resolve: (value: number) => void; reject: (error: Error) => void } | null = null;
  const work = () => {
    runs++;
    return new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  };
  return { work, runs: () => runs, settle: () => settle! };
}

test('calls while a run is under way share it; a call after it settles starts another', async () => {
  const { work, runs, settle } = controlledWork();
  const shared = sharedWhileRunning(work);
  const during = Array.from({ length: 10 }, () => shared());
  assert.equal(runs(), 1);
  settle().resolve(7);
  assert.deepEqual(await Promise.all(during), Array(10).fill(7));
  const next = shared();
  assert.equal(runs(), 2);
  settle().resolve(8);
  assert.equal(await next, 8);
});

test('a failed run fails every call that shared it, and the next call runs again', async () => {
  const { work, runs, settle } = controlledWork();
  const shared = sharedWhileRunning(work);
  const during = [shared(), shared()];
  settle().reject(new Error('redis down'));
  for (const call of during) await assert.rejects(call, /redis down/);
  const next = shared();
  assert.equal(runs(), 2);
  settle().resolve(1);
  assert.equal(await next, 1);
});
