import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER } from '@app/observability';
import { RedisConnection, Worker } from 'bullmq';
import { Logger } from 'pino';
import { QUEUE_CONNECTION, QueueConnection } from './queue-connection';
import { QueueTimeoutError, withTimeout } from './queue-timeout';

/**
 * Closes a BullMQ worker on shutdown: it waits for the jobs in hand, which stop at their next step and hand
 * themselves back — but not past DRAIN_TIMEOUT_MS. Handing a job back (or finishing it) is a Redis command,
 * and while Redis is down BullMQ's connection holds such a command until Redis returns, so the worker's close, and
 * the process's exit, waited for the outage to end. Past the deadline the process's queue connection is dropped,
 * the commands it held fail and the close completes; the jobs stay active in Redis until their locks expire and
 * the next worker's stalled-job check takes them, as after a crash (their checkpoints are in PostgreSQL).
 *
 * The worker's own view of that connection is closed first: BullMQ retries a job's completion or failure that
 * met a closed connection at once, without end, unless that view says it is closing — a loop that starved the
 * event loop, signals and all. (`connection` is protected in BullMQ 5; the shutdown-redis-outage e2e fails if that
 * changes.)
 */
@Injectable()
export class WorkerDrain {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(QUEUE_CONNECTION) private readonly connection: QueueConnection,
  ) {}

  async close(worker: Worker): Promise<void> {
    const closing = worker.close();
    try {
      return await withTimeout(closing, this.config.drainTimeoutMs, 'draining the worker');
    } catch (error) {
      if (!(error instanceof QueueTimeoutError)) throw error;
    }
    this.logger.warn(
      { queue: worker.name, timeoutMs: this.config.drainTimeoutMs },
      'jobs in hand not handed back within the drain timeout (is Redis reachable?); leaving them to the next worker',
    );
    await (worker as unknown as { connection: RedisConnection }).connection.close();
    // The commands failed on purpose; without a listener BullMQ prints each to stderr.
    worker.on('error', () => undefined);
    this.connection.disconnect();
    await closing;
  }
}
