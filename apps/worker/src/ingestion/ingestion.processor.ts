import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DocumentRecord, TenantUsageRepository } from '@app/database';
import { AppError, InsufficientStorageError, isOutOfStorage } from '@app/errors';
import { ingestionJobDuration, ingestionRetries, LOGGER } from '@app/observability';
import { INGESTION_QUEUE, INGESTION_WORKER_OPTIONS, IngestionJobName, IngestionJobs, WorkerDrain } from '@app/queue';
import { DelayedError, Job, UnrecoverableError, WaitingError } from 'bullmq';
import { Logger } from 'pino';
import { DocumentIngestionService, IngestionOutcome } from './document-ingestion.service';
import { DocumentDeletedError, outageOf, SlotGivenUpError, WorkerShutdownError } from './ingestion-errors';
import { nextOutageTry, OutageTry } from './outage-wait';
import { TenantSlots } from './tenant-slots';

/**
 * How long a job refused for its tenant's fairness stays out of the queue. Short, because it costs one query
 * per return; long enough that the worker takes the waiting tenant's job first (it returns with its priority).
 */
const TENANT_REQUEUE_DELAY_MS = 250;

/**
 * How often a running document asks whether another tenant's document waits for its slot (a query only when its
 * tenant runs past WORKER_TENANT_CONCURRENCY, or its turn is over and every slot is taken). The wait it bounds is
 * that document's, on top of its next step or checkpoint.
 */
export const SLOT_CHECK_MS = 2_000;

/**
 * A document's error for a failure that is not one of ours. Any member can read a document's error, and such an
 * error's message can quote what a server sent (JSON.parse quoted an embedding server's 200 body, key and all), so
 * it goes to the log only.
 */
const UNEXPECTED_FAILURE = { code: 'ingestion_failed', message: "Ingestion failed unexpectedly; the worker's log has the details." };

/** A document's slot while it runs: given up at once through `giveUp`, or at its next checkpoint once `turnEnding`. */
interface SlotHold {
  tenant: string;
  since: number;
  giveUp: AbortController;
  turnEnding: boolean;
}

type IngestionJob = { [N in keyof IngestionJobs]: Job<IngestionJobs[N], IngestionOutcome, N> }[keyof IngestionJobs];

/** Thin BullMQ processor: dispatches by job name and turns failures into document state. */
@Processor(INGESTION_QUEUE, INGESTION_WORKER_OPTIONS)
export class IngestionProcessor extends WorkerHost implements OnModuleInit, BeforeApplicationShutdown {
  /** Aborted on SIGTERM: running attempts stop at their next step and their jobs go back to the queue. */
  private readonly shutdown = new AbortController();
  private readonly tenantSlots: TenantSlots;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ingestion: DocumentIngestionService,
    private readonly usage: TenantUsageRepository,
    private readonly drain: WorkerDrain,
  ) {
    super();
    this.tenantSlots = new TenantSlots(config.workerTenantConcurrency);
  }

  onModuleInit(): void {
    // The decorator's options are static; concurrency comes from configuration.
    this.worker.concurrency = this.config.workerConcurrency;
  }

  /**
   * Drains before anything else shuts down (the database pool closes after this): stop taking jobs, stop the
   * running attempts at their next step, let them hand their jobs back, and only then let the worker close
   * (WorkerDrain bounds the wait).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort(new WorkerShutdownError());
    await this.drain.close(this.worker);
  }

  async process(job: IngestionJob, token?: string): Promise<IngestionOutcome> {
    switch (job.name) {
      case IngestionJobName.IngestDocument:
        return this.ingestDocument(job, token);
      default: {
        const unknown: never = job.name;
        throw new UnrecoverableError(`unknown job name ${String(unknown)}`);
      }
    }
  }

  private async ingestDocument(job: Job<IngestionJobs[IngestionJobName.IngestDocument]>, token?: string): Promise<IngestionOutcome> {
    const { tenant } = job.data;
    // Jobs enqueued before jobs named their tenant run unchecked.
    if (tenant === undefined) return this.runIngestion(job, token);
    if (!(await this.tenantSlots.tryAcquire(tenant, () => this.othersWaiting([tenant])))) {
      // Back to the queue without spending an attempt (BullMQ's moveToDelayed skips the attempt count).
      this.logger.debug({ documentId: job.data.documentId, jobId: job.id, tenant }, 'tenant at its worker concurrency while others wait; job put back');
      await job.moveToDelayed(Date.now() + TENANT_REQUEUE_DELAY_MS, token);
      throw new DelayedError();
    }
    const hold: SlotHold = { tenant, since: Date.now(), giveUp: new AbortController(), turnEnding: false };
    const stopChecks = this.checkSlotEvery(SLOT_CHECK_MS, hold);
    try {
      return await this.runIngestion(job, token, hold);
    } finally {
      stopChecks();
      const gaveUp = hold.giveUp.signal.aborted;
      // A check still waiting for its answer must not count a slot already freed as given up.
      hold.giveUp.abort();
      this.tenantSlots.release(tenant, { gaveUp, endedTurn: hold.turnEnding });
    }
  }

  /** Checks the slot every `ms`, one check after another (a slow answer does not pile questions up); returns the stop. */
  private checkSlotEvery(ms: number, hold: SlotHold): () => void {
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      timer = setTimeout(() => void this.checkSlot(hold).then(() => hold.giveUp.signal.aborted || next()), ms);
    };
    next();
    return () => clearTimeout(timer);
  }

  /**
   * Gives the slot to another tenant's waiting document: at once when the document's tenant runs past its limit
   * (the job returns after TENANT_REQUEUE_DELAY_MS, behind that one by priority, and the document resumes from its
   * checkpoint), or at its next checkpoint once it has run WORKER_TURN_SECONDS while every slot is taken. Without
   * the first, another tenant's upload waited for the document to finish, up to INGESTION_TIMEOUT_SECONDS; without
   * the second, so did it with WORKER_CONCURRENCY tenants each running a slow document.
   */
  private async checkSlot(hold: SlotHold): Promise<void> {
    const { tenant, giveUp } = hold;
    if (giveUp.signal.aborted) return;
    if (this.tenantSlots.overLimit(tenant)) {
      const othersWait = await this.othersWaiting([tenant]);
      // The document may have finished meanwhile (its slot freed, and `giveUp` aborted with it).
      if (othersWait && !giveUp.signal.aborted && this.tenantSlots.claimGiveUp(tenant)) giveUp.abort(new SlotGivenUpError());
      return;
    }
    const turnOver = Date.now() - hold.since >= this.config.workerTurnSeconds * 1000;
    if (hold.turnEnding || !turnOver || this.tenantSlots.busy() < this.worker.concurrency) return;
    // A tenant running its limit here would be put back when it got the slot: only the others' documents count.
    const othersWait = await this.othersWaiting([...new Set([tenant, ...this.tenantSlots.atLimit()])]);
    if (othersWait && !giveUp.signal.aborted && this.tenantSlots.claimTurnEnd()) hold.turnEnding = true;
  }

  /**
   * Puts the job back until its next try without spending an attempt, and the document back to `queued` saying
   * what it waits for: an outage of what every document needs would otherwise fail every document it met once
   * the job's attempts were spent (about two minutes with the default retries), each left for an admin to retry.
   */
  private async waitOutOutage(
    job: Job<IngestionJobs[IngestionJobName.IngestDocument]>,
    token: string | undefined,
    doc: DocumentRecord,
    outage: { code: string; message: string },
    next: OutageTry,
    error: unknown,
  ): Promise<void> {
    const { documentId } = job.data;
    const at = new Date(next.at).toISOString();
    const message = `${outage.message} Ingestion resumes when it is back: next try at ${at}; from ${new Date(next.until).toISOString()} on, failures count against the document's attempts.`;
    try {
      await this.ingestion.wait(doc, { code: outage.code, message });
    } catch (writeError) {
      // PostgreSQL may be what is out: the document stays `processing` and its job, delayed, is still live.
      this.logger.warn({ documentId, err: writeError }, 'could not record on the document that it waits out an outage');
    }
    await job.updateData({ ...job.data, outageSince: next.since });
    await job.moveToDelayed(next.at, token);
    ingestionRetries.inc({ code: outage.code });
    this.logger.warn({ documentId, jobId: job.id, code: outage.code, err: error, nextTry: at }, 'ingestion waiting out an outage; job put back without spending an attempt');
  }

  /** Puts the document back to `queued` uncounted as the worker stops; a database that cannot take it leaves it counted. */
  private async pauseForShutdown(doc: DocumentRecord): Promise<void> {
    try {
      await this.ingestion.pause(doc);
    } catch (error) {
      this.logger.warn({ documentId: doc.id, err: error }, 'could not put the document back to queued as the worker stops; its attempt stays counted');
    }
  }

  /**
   * Whether a tenant not among `tenants` has a document waiting. Fairness must not stop ingestion: when PostgreSQL
   * cannot answer, the job runs (and meets the outage itself).
   */
  private async othersWaiting(tenants: readonly string[]): Promise<boolean> {
    try {
      return await this.usage.othersWaiting(tenants);
    } catch (error) {
      this.logger.warn({ err: error, tenant: tenants[0] }, 'could not check for other tenants’ waiting documents; running the job');
      return false;
    }
  }

  private async runIngestion(job: Job<IngestionJobs[IngestionJobName.IngestDocument]>, token?: string, hold?: SlotHold): Promise<IngestionOutcome> {
    const { documentId } = job.data;
    const stopTimer = ingestionJobDuration.startTimer();
    // The attempt this job claimed, once it has: only its document is failed (see DocumentTransitions.failAttempt).
    let doc: DocumentRecord | null = null;
    try {
      doc = await this.ingestion.start(documentId);
      const stop = hold ? AbortSignal.any([this.shutdown.signal, hold.giveUp.signal]) : this.shutdown.signal;
      const outcome = doc ? await this.ingestion.run(doc, stop, () => hold?.turnEnding === true) : 'skipped';
      stopTimer({ outcome });
      return outcome;
    } catch (error) {
      if (error instanceof DocumentDeletedError) {
        stopTimer({ outcome: 'deleted' });
        return 'deleted';
      }
      if (error instanceof WorkerShutdownError) {
        // Back to waiting without spending an attempt, BullMQ's or the document's (the stuck-document reconciler
        // counts those: ten rolling restarts during one long document failed it as interrupted), and the next
        // worker resumes from the checkpoint.
        stopTimer({ outcome: 'retry' });
        if (doc) await this.pauseForShutdown(doc);
        await job.moveToWait(token);
        this.logger.info({ documentId, jobId: job.id }, 'worker shutting down; job handed back at its checkpoint');
        throw new WaitingError();
      }
      if (error instanceof SlotGivenUpError && doc) {
        // As a job refused for fairness: delayed without spending an attempt, the document queued and not counted.
        stopTimer({ outcome: 'retry' });
        await this.ingestion.pause(doc);
        await job.moveToDelayed(Date.now() + TENANT_REQUEUE_DELAY_MS, token);
        this.logger.info({ documentId, jobId: job.id, tenant: doc.tenant }, "slot given up to another tenant's waiting document; job put back at its checkpoint");
        throw new DelayedError();
      }
      const outage = doc && outageOf(error);
      const next = outage && nextOutageTry(job.data.outageSince, Date.now(), this.config.ingestion);
      if (doc && outage && next) {
        await this.waitOutOutage(job, token, doc, outage, next, error);
        stopTimer({ outcome: 'retry' });
        throw new DelayedError();
      }
      const permanent = error instanceof AppError && error.status < 500;
      const attempt = job.attemptsMade + 1;
      const lastAttempt = attempt >= (job.opts.attempts ?? 1);
      const { code, message } = error instanceof AppError ? error : isOutOfStorage(error) ? new InsufficientStorageError() : UNEXPECTED_FAILURE;
      this.logger.warn({ documentId, jobId: job.id, code, err: error, permanent, attempt, lastAttempt }, 'ingestion attempt failed');
      if (permanent || lastAttempt) {
        // A transient failure that outlasted every retry says so: it was not given up on at the first error. A
        // claim that failed (PostgreSQL unreachable) left no attempt to fail: the document stays where it was,
        // and the reconciler enqueues it again once no job is left for it.
        if (doc) await this.ingestion.fail(doc, code, permanent || attempt === 1 ? message : `After ${attempt} ingestion attempts: ${message}`);
      } else {
        ingestionRetries.inc({ code });
      }
      stopTimer({ outcome: permanent || lastAttempt ? 'failed' : 'retry' });
      // A permanent failure (encrypted, corrupt, empty) would fail the same way again: do not retry it.
      throw permanent ? new UnrecoverableError(message) : error;
    }
  }
}
