import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DatabaseClock } from '@app/database';
import { isLiveJobState, RedisJobState } from '@app/queue';
import { PeriodicPass } from '@app/scheduling';
import { Logger } from 'pino';

/** Rows read per query while looking for stuck ones. */
const PAGE_SIZE = 100;

export type ReconcileAction = 'requeued' | 'failed';

/** A row PostgreSQL says is unfinished (a document, a deletion job) and the attempts started on it. */
export interface UnfinishedRow {
  id: string;
  attempts: number;
}

/**
 * Finds rows that PostgreSQL says are unfinished but that no BullMQ job will ever finish — Redis lost its data,
 * a job was removed, or BullMQ's stalled-job check gave up on a job whose workers kept dying, which fails it
 * without the processor running, so nothing records it — and enqueues them again, or fails them past
 * `maxAttempts` so that work which kills every worker cannot loop forever.
 *
 * A timer in every worker rather than a repeatable BullMQ job: it must keep working precisely when Redis has
 * lost its state, repeatable jobs included. Several workers may run it at once; job ids derived from the row
 * make enqueueing idempotent. Only rows unchanged for two intervals are looked at: a running attempt writes its
 * row far more often, and a new row's job is added right after it.
 */
export abstract class StuckJobsReconciler<R extends UnfinishedRow> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timer = new PeriodicPass(
    () => this.reconcile(),
    (error) => this.logger.warn({ err: error }, `reconciling stuck ${this.rows} failed; trying again next interval`),
  );

  /**
   * @param rows what the rows are, for the log ("documents")
   * @param maxAttempts attempts after which a row whose job is not live is failed rather than enqueued again
   */
  protected constructor(
    protected readonly config: AppConfig,
    protected readonly logger: Logger,
    private readonly clock: DatabaseClock,
    private readonly rows: string,
    private readonly maxAttempts: number,
  ) {}

  /** Unfinished rows unchanged since `unchangedSince`: a page of `limit` in order of id, after `afterId` (the previous page's last). */
  protected abstract listUnchangedSince(unchangedSince: Date, limit: number, afterId: string | undefined): Promise<R[]>;
  /** The state of the row's job in Redis. */
  protected abstract jobState(row: R): Promise<RedisJobState>;
  /** Gives up on the row; false when it finished (or changed) since it was read, and nothing was done. */
  protected abstract fail(row: R, jobState: RedisJobState, unchangedSince: Date): Promise<boolean>;
  /** Enqueues the row's job again — removing first a finished one under its id — and marks the row looked at. */
  protected abstract requeue(row: R, jobState: RedisJobState): Promise<void>;

  onApplicationBootstrap(): void {
    this.timer.start(this.config.ingestion.reconcileIntervalSeconds);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.timer.stop();
  }

  /**
   * One pass over the rows unchanged for two intervals before `now` (the database's clock, which wrote the rows'
   * times); returns what was done, by row id.
   */
  async reconcile(now?: Date): Promise<Map<string, ReconcileAction>> {
    now ??= await this.clock.now();
    const unchangedSince = new Date(now.getTime() - 2 * this.config.ingestion.reconcileIntervalSeconds * 1000);
    const actions = new Map<string, ReconcileAction>();
    let afterId: string | undefined;
    for (;;) {
      const page = await this.listUnchangedSince(unchangedSince, PAGE_SIZE, afterId);
      for (const row of page) {
        const state = await this.jobState(row);
        if (isLiveJobState(state)) continue;
        if (row.attempts < this.maxAttempts) {
          await this.requeue(row, state);
          actions.set(row.id, 'requeued');
        } else if (await this.fail(row, state, unchangedSince)) {
          actions.set(row.id, 'failed');
        }
      }
      if (page.length < PAGE_SIZE) return actions;
      afterId = page[page.length - 1].id;
    }
  }
}
