import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantSlots } from './tenant-slots';

const waiting = (answer: boolean) => {
  const calls: number[] = [];
  return { calls, ask: async () => (calls.push(1), answer) };
};

describe('TenantSlots', () => {
  it('lets a tenant within its limit start without asking who waits', async () => {
    const slots = new TenantSlots(1);
    const others = waiting(true);
    assert.equal(await slots.tryAcquire('a', others.ask), true);
    assert.equal(others.calls.length, 0);
    assert.equal(slots.runningOf('a'), 1);
  });

  it('refuses a tenant at its limit while another tenant waits, and counts nothing for the refusal', async () => {
    const slots = new TenantSlots(1);
    await slots.tryAcquire('a', waiting(false).ask);
    assert.equal(await slots.tryAcquire('a', waiting(true).ask), false);
    assert.equal(slots.runningOf('a'), 1);
    assert.equal(await slots.tryAcquire('b', waiting(true).ask), true);
  });

  it('lets a tenant alone use more slots than its limit', async () => {
    const slots = new TenantSlots(2);
    for (let i = 0; i < 4; i++) assert.equal(await slots.tryAcquire('a', waiting(false).ask), true);
    assert.equal(slots.runningOf('a'), 4);
  });

  it('tells only as many of a tenant\'s documents to give their slots up as it runs past its limit', async () => {
    const slots = new TenantSlots(1);
    for (let i = 0; i < 3; i++) await slots.tryAcquire('a', waiting(false).ask);
    await slots.tryAcquire('b', waiting(false).ask);
    assert.deepEqual([slots.overLimit('a'), slots.overLimit('b')], [true, false]);
    // Three documents asking at once: two give up, the third keeps its slot.
    assert.deepEqual([slots.claimGiveUp('a'), slots.claimGiveUp('a'), slots.claimGiveUp('a')], [true, true, false]);
    assert.equal(slots.overLimit('a'), false);
    assert.equal(slots.claimGiveUp('b'), false);
    // Once they have stopped, the tenant runs one, within its limit, and nothing is left counted.
    slots.release('a', { gaveUp: true });
    slots.release('a', { gaveUp: true });
    assert.deepEqual([slots.runningOf('a'), slots.overLimit('a'), slots.claimGiveUp('a')], [1, false, false]);
    await slots.tryAcquire('a', waiting(false).ask);
    assert.equal(slots.claimGiveUp('a'), true, 'a new document past the limit gives up again');
  });

  it('frees the slot on release', async () => {
    const slots = new TenantSlots(1);
    await slots.tryAcquire('a', waiting(true).ask);
    slots.release('a');
    assert.equal(slots.runningOf('a'), 0);
    assert.equal(await slots.tryAcquire('a', waiting(true).ask), true);
  });

  it('counts what runs, names the tenants at their limit, and lets one document end its turn at a time', async () => {
    const slots = new TenantSlots(2);
    for (const tenant of ['a', 'a', 'b']) await slots.tryAcquire(tenant, waiting(false).ask);
    assert.deepEqual([slots.busy(), slots.atLimit()], [3, ['a']]);
    assert.deepEqual([slots.claimTurnEnd(), slots.claimTurnEnd()], [true, false]);
    // A document that did not claim the end frees nothing of it.
    slots.release('b');
    assert.equal(slots.claimTurnEnd(), false);
    slots.release('a', { endedTurn: true });
    assert.deepEqual([slots.busy(), slots.atLimit()], [1, []]);
    assert.equal(slots.claimTurnEnd(), true, 'the next turn may end once the last has');
  });
});
