import { ReplyError } from 'ioredis';
import { AppError } from '@app/errors';

/**
 * Redis, which keeps rate limits and token budgets, cannot serve them (see isRedisUnavailable): tenant keys are
 * refused (503) rather than let through unlimited; admin keys still work, so the operator can look at what is wrong.
 */
export class RedisUnavailableError extends AppError {
  constructor(what: string) {
    super('dependency_unavailable', `${what} cannot be checked right now (Redis is unreachable or refusing commands); try again shortly.`, 503, { dependency: 'redis' });
  }
}

/**
 * A failed command that means Redis cannot serve commands now, not that this command was wrong: Redis could not
 * be reached (connection refused, closed, timed out), or it refused for its own state: out of memory under
 * `maxmemory` with `noeviction`, as BullMQ wants it (OOM; every member's request was a 500 `internal_error`,
 * its rate-limit script refused), unable to persist (MISCONF), a replica after a failover (READONLY), still
 * loading its data (LOADING), a script running too long (BUSY), or a cluster or replication without its primary.
 */
export function isRedisUnavailable(error: unknown): boolean {
  return error instanceof Error && (!(error instanceof ReplyError) || UNAVAILABLE_REPLY.test(error.message));
}

const UNAVAILABLE_REPLY = /^(?:OOM|MISCONF|READONLY|LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|NOREPLICAS)\b/;
