/**
 * The documents of each tenant one worker process is running. A tenant may take more than `limit` slots only
 * while no other tenant has a document waiting: a backlog uses an idle worker fully, but cannot fill every slot
 * while someone else waits. Counted in memory, so a worker that dies takes its counts with it and nothing in
 * Redis or PostgreSQL is left to drift; the limit is per worker process, as WORKER_CONCURRENCY is.
 */
export class TenantSlots {
  private readonly running = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /**
   * Takes a slot for `tenant`, or returns false when it already runs `limit` documents and `othersWaiting`
   * says another tenant has one waiting. `othersWaiting` is asked only in that case, so a tenant within its
   * limit starts without a query.
   */
  async tryAcquire(tenant: string, othersWaiting: () => Promise<boolean>): Promise<boolean> {
    if (this.runningOf(tenant) >= this.limit && (await othersWaiting())) return false;
    // Counted after the await: two slots of one tenant deciding at once are both counted either way.
    this.running.set(tenant, this.runningOf(tenant) + 1);
    return true;
  }

  release(tenant: string): void {
    const left = this.runningOf(tenant) - 1;
    if (left > 0) this.running.set(tenant, left);
    else this.running.delete(tenant);
  }

  runningOf(tenant: string): number {
    return this.running.get(tenant) ?? 0;
  }
}
