import { AppError } from '@app/errors';

/** A tenant had SEARCHES_PER_TENANT searches running for longer than a search may wait for its turn. */
export class TooManySearchesError extends AppError {
  constructor(perTenant: number) {
    super('too_many_searches', `This tenant already has ${perTenant} searches running; retry shortly.`, 429, { retry_after_seconds: 1 });
  }
}

interface TenantTurns {
  running: number;
  /** Searches waiting for a slot, first come first served; each call grants it its slot. */
  waiting: (() => void)[];
}

/**
 * At most `perTenant` searches of one tenant run at once; the next wait in order, each up to `waitMs`, then fail
 * with 429. A search holds a pooled PostgreSQL connection for as long as it runs: without a share per tenant, one
 * member's slow searches (a big collection, wide filters) took every connection, and other tenants' requests
 * failed with 503 after waiting for one. The count is per process, as the pool is.
 */
export class TenantSearchSlots {
  private readonly tenants = new Map<string, TenantTurns>();

  constructor(
    private readonly perTenant: number,
    private readonly waitMs: number,
  ) {}

  async run<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    await this.acquire(tenant);
    try {
      return await work();
    } finally {
      this.release(tenant);
    }
  }

  private acquire(tenant: string): Promise<void> {
    let turns = this.tenants.get(tenant);
    if (!turns) this.tenants.set(tenant, (turns = { running: 0, waiting: [] }));
    if (turns.running < this.perTenant) {
      turns.running++;
      return Promise.resolve();
    }
    const { waiting } = turns;
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(grant), 1);
        reject(new TooManySearchesError(this.perTenant));
      }, this.waitMs);
      waiting.push(grant);
    });
  }

  /** Hands the slot to the first waiting search, if any; the count only drops when none waits. */
  private release(tenant: string): void {
    const turns = this.tenants.get(tenant)!;
    const next = turns.waiting.shift();
    if (next) next();
    else if (--turns.running === 0) this.tenants.delete(tenant);
  }
}
