import { Client } from 'pg';

/**
 * The round trips `work` makes to PostgreSQL: every Client.query call is one (a simple query carries all its
 * statements in one). Counts every client of the process, so `work` should be the only thing running.
 */
export async function countingRoundTrips<T>(work: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const query = Client.prototype.query;
  let roundTrips = 0;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    roundTrips++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return { result: await work(), roundTrips };
  } finally {
    Client.prototype.query = query;
  }
}
