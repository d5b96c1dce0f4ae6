import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenantSearchSlots, TooManySearchesError } from './tenant-search-slots';

/** A search that runs until `finish` is called. */
function heldSearch() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish };
}

test('a tenant runs `perTenant` searches at once; the next start in order as slots free, other tenants never wait', async () => {
  const slots = new TenantSearchSlots(2, 5_000);
  const started: string[] = [];
  const held = Array.from({ length: 4 }, heldSearch);
  const runs = held.map((search, i) => slots.run('acme', () => (started.push(`acme${i}`), search.work())));
  await sleep(10);
  assert.deepEqual(started, ['acme0', 'acme1']);
  await slots.run('beta', async () => started.push('beta'));
  assert.deepEqual(started, ['acme0', 'acme1', 'beta']);
  held[1].finish();
  await sleep(10);
  assert.deepEqual(started.slice(3), ['acme2']);
  held[0].finish();
  await sleep(10);
  assert.deepEqual(started.slice(3), ['acme2', 'acme3']);
  for (const search of held) search.finish();
  await Promise.all(runs);
});

test('a search that waits past `waitMs` fails with 429 and gives up its place; a failing search frees its slot', async () => {
  const slots = new TenantSearchSlots(1, 50);
  const first = heldSearch();
  const running = slots.run('acme', first.work);
  const late = slots.run('acme', async () => assert.fail('ran after its wait ended'));
  await assert.rejects(late, (error: unknown) => error instanceof TooManySearchesError && error.status === 429);
  first.finish();
  await running;
  await assert.rejects(slots.run('acme', async () => { throw new Error('statement failed'); }), /statement failed/);
  assert.equal(await slots.run('acme', async () => 'ran'), 'ran');
});
