/**
 * The documents of each tenant one worker process is running. A tenant may take more than `limit` slots only
 * while no other tenant has a document waiting: a backlog uses an idle worker fully, but cannot fill every slot
 * while someone else waits, and the documents it runs past its limit give their slots up when someone comes
 * (claimGiveUp): a document can run for an hour (a small PDF whose pages take seconds each), and another tenant's
 * upload would have waited for it. Within the limit too, a document whose turn is over ends it at its next
 * checkpoint when every slot is taken and another tenant waits (claimTurnEnd), one document at a time. Counted in
 * memory, so a worker that dies takes its counts with it and nothing in Redis or PostgreSQL is left to drift; the
 * limit is per worker process, as WORKER_CONCURRENCY is.
 */
export class TenantSlots {
  private readonly running = new Map<string, number>();
  /** Of those, the documents giving their slots up (stopping at their next step). */
  private readonly givingUp = new Map<string, number>();
  /** Whether a document is ending its turn (stopping at its next checkpoint). */
  private turnEnding = false;

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

  /** Whether `tenant` runs more documents than its limit, not counting those already giving their slots up. */
  overLimit(tenant: string): boolean {
    return this.runningOf(tenant) - (this.givingUp.get(tenant) ?? 0) > this.limit;
  }

  /**
   * Counts one of `tenant`'s documents as giving its slot up, when the tenant is still over its limit: of its
   * documents that ask at once, only as many as it runs past the limit are told to.
   */
  claimGiveUp(tenant: string): boolean {
    if (!this.overLimit(tenant)) return false;
    this.givingUp.set(tenant, (this.givingUp.get(tenant) ?? 0) + 1);
    return true;
  }

  /**
   * Counts one document as ending its turn, unless one already is: a slot freed that way goes to one waiting
   * document, and the next turn to end is decided once it has been taken.
   */
  claimTurnEnd(): boolean {
    if (this.turnEnding) return false;
    this.turnEnding = true;
    return true;
  }

  /** Frees a slot; `gaveUp` when its document was one giving its slot up, `endedTurn` when it claimed a turn's end. */
  release(tenant: string, { gaveUp = false, endedTurn = false } = {}): void {
    decrement(this.running, tenant);
    if (gaveUp) decrement(this.givingUp, tenant);
    if (endedTurn) this.turnEnding = false;
  }

  runningOf(tenant: string): number {
    return this.running.get(tenant) ?? 0;
  }

  /** Documents running, all tenants together. */
  busy(): number {
    let total = 0;
    for (const count of this.running.values()) total += count;
    return total;
  }

  /** The tenants running `limit` documents or more: a document of theirs would not be let in while others wait. */
  atLimit(): string[] {
    return [...this.running].filter(([, count]) => count >= this.limit).map(([tenant]) => tenant);
  }
}

function decrement(counts: Map<string, number>, tenant: string): void {
  const left = (counts.get(tenant) ?? 0) - 1;
  if (left > 0) counts.set(tenant, left);
  else counts.delete(tenant);
}
