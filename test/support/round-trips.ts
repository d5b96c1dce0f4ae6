import { Client } from 'pg';

/**
 * Runs `work` with every Client.query call of the process shown to `visit` first (its arguments as given), so
 * `work` should be the only thing running. Each call is one round trip: a simple query carries all its
 * statements in one.
 */
export async function watchingQueries<T>(visit: (args: unknown[]) => void, work: () => Promise<T>): Promise<T> {
  const query = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    visit(args);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return await work();
  } finally {
    Client.prototype.query = query;
  }
}

/** The round trips `work` makes to PostgreSQL (see watchingQueries). */
export async function countingRoundTrips<T>(work: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  let roundTrips = 0;
  const result = await watchingQueries(() => roundTrips++, work);
  return { result, roundTrips };
}
