export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit rejects calls before it lets one trial call through (half-open). */
  cooldownMs: number;
  /** Injectable clock, so tests need not wait. */
  now?: () => number;
}

export const DEFAULT_CIRCUIT_BREAKER: Readonly<Omit<CircuitBreakerOptions, 'now'>> = Object.freeze({
  failureThreshold: 5,
  cooldownMs: 60_000,
});

/**
 * A circuit breaker for one upstream (a chat model). Closed: calls pass, consecutive failures are counted.
 * Open: calls are refused at once (the caller falls back) until `cooldownMs` has passed. Half-open: exactly
 * one trial call passes; its success closes the circuit, its failure opens it for another cooldown.
 *
 * A caller asks `tryAcquire()` before each call and reports the call's fate with `recordSuccess()`,
 * `recordFailure()` or `release()` (the call ended without saying anything about the upstream's health, e.g.
 * the client went away), so a trial call that is abandoned does not leave the circuit half-open forever.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state as of now (an open circuit whose cooldown is over reads as half-open). */
  get currentState(): CircuitState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half-open';
    return this.state;
  }

  /** Whether a call may go out now; in half-open, true for one caller only until it reports back. */
  tryAcquire(): boolean {
    const state = this.currentState;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.state = 'half-open';
    this.trialInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.state = 'closed';
    this.consecutiveFailures = 0;
    this.trialInFlight = false;
  }

  recordFailure(): void {
    this.consecutiveFailures++;
    if (this.state === 'half-open' || this.consecutiveFailures >= this.options.failureThreshold) {
      this.state = 'open';
      this.openedAt = this.now();
    }
    this.trialInFlight = false;
  }

  /** The acquired call ended without a verdict on the upstream's health. */
  release(): void {
    this.trialInFlight = false;
  }
}

/** One breaker per key (model name), created on first use with the same options. */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: CircuitBreakerOptions) {}

  for(key: string): CircuitBreaker {
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }
}
