import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every 20 ms until it holds; throws `message` once `timeoutMs` have passed without it. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  message: string | (() => string) = 'condition not met in time',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(typeof message === 'function' ? message() : message);
    await sleep(20);
  }
}

/** `promise`, or a rejection saying what gave no answer within `ms` (the promise itself is left to settle unheard). */
export function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
