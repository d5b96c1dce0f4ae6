import { ReplyError } from 'ioredis';
import { AppError } from '@app/errors';

/**
 * Redis, which keeps rate limits and token budgets, cannot be reached: tenant keys are refused (503) rather
 * than let through unlimited; admin keys still work, so the operator can look at what is wrong.
 */
export class RedisUnavailableError extends AppError {
  constructor(what: string) {
    super('dependency_unavailable', `${what} cannot be checked right now (Redis is unreachable); try again shortly.`, 503, { dependency: 'redis' });
  }
}

/** A failed command that means Redis could not be reached (connection refused, closed, timed out), not that it refused the command. */
export function isRedisUnreachable(error: unknown): boolean {
  return error instanceof Error && !(error instanceof ReplyError);
}
