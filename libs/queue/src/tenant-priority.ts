import { PRIORITY_LIMIT } from 'bullmq';

/**
 * The BullMQ priority of a tenant's ingestion job when `pending` of its documents (this one included) wait for
 * or are in ingestion: its n-th pending document gets priority n. BullMQ serves the lowest number first and
 * keeps insertion order among equals, so every tenant's first pending document sorts before any tenant's
 * second: round robin over tenants, ordered inside Redis in O(log n), with no scan of the queue. A tenant with
 * 200 queued documents thus delays another tenant's single upload by about one document, not 200.
 *
 * Never 0: BullMQ runs jobs without a priority before every prioritized one, which would let them jump the
 * round robin. Capped at BullMQ's limit (2^21 - 1), past which `add` fails.
 */
export function tenantPriority(pending: number): number {
  return Math.min(Math.max(1, Math.floor(pending)), PRIORITY_LIMIT);
}
