import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker, CircuitBreakers } from './circuit-breaker';

function breakerWithClock(failureThreshold = 5, cooldownMs = 60_000) {
  const clock = { now: 1_000 };
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, now: () => clock.now });
  return { clock, breaker };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and refuses calls', () => {
    const { breaker } = breakerWithClock();
    for (let i = 0; i < 4; i++) {
      assert.ok(breaker.tryAcquire());
      breaker.recordFailure();
    }
    assert.equal(breaker.currentState, 'closed');
    assert.ok(breaker.tryAcquire());
    breaker.recordFailure();
    assert.equal(breaker.currentState, 'open');
    assert.equal(breaker.tryAcquire(), false);
  });

  it('a success resets the count of consecutive failures', () => {
    const { breaker } = breakerWithClock(3);
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    assert.equal(breaker.currentState, 'closed');
  });

  it('after the cooldown lets exactly one trial call through; its success closes the circuit', () => {
    const { clock, breaker } = breakerWithClock(1, 60_000);
    breaker.recordFailure();
    clock.now += 59_999;
    assert.equal(breaker.tryAcquire(), false);
    clock.now += 1;
    assert.equal(breaker.currentState, 'half-open');
    assert.ok(breaker.tryAcquire());
    assert.equal(breaker.tryAcquire(), false, 'a second caller must wait for the trial');
    breaker.recordSuccess();
    assert.equal(breaker.currentState, 'closed');
    assert.ok(breaker.tryAcquire());
  });

  it('a failed trial opens the circuit for another full cooldown', () => {
    const { clock, breaker } = breakerWithClock(5, 1_000);
    for (let i = 0; i < 5; i++) breaker.recordFailure();
    clock.now += 1_000;
    assert.ok(breaker.tryAcquire());
    breaker.recordFailure();
    assert.equal(breaker.currentState, 'open');
    clock.now += 999;
    assert.equal(breaker.tryAcquire(), false);
    clock.now += 1;
    assert.ok(breaker.tryAcquire());
  });

  it('an abandoned trial is released so the next caller can try', () => {
    const { clock, breaker } = breakerWithClock(1, 10);
    breaker.recordFailure();
    clock.now += 10;
    assert.ok(breaker.tryAcquire());
    breaker.release();
    assert.equal(breaker.currentState, 'half-open');
    assert.ok(breaker.tryAcquire());
  });
});

describe('CircuitBreakers', () => {
  it('keeps one independent breaker per model', () => {
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 1_000, now: () => 0 });
    breakers.for('a').recordFailure();
    assert.equal(breakers.for('a').currentState, 'open');
    assert.equal(breakers.for('b').currentState, 'closed');
    assert.equal(breakers.for('a'), breakers.for('a'));
  });
});
