import { DocumentDeletedError, ingestionTimeoutError } from './ingestion-errors';

/** How often a running ingestion checks that its document still exists. */
export const DELETION_POLL_MS = 500;

export interface IngestionRunOptions {
  documentId: string;
  /** Resolves false once the document's row is gone. */
  exists(documentId: string): Promise<boolean>;
  timeoutSeconds: number;
  /** Aborted when the worker shuts down. */
  shutdown: AbortSignal;
  /** A failed existence check; the next poll tries again. */
  onPollError(error: unknown): void;
}

/**
 * Everything that stops one ingestion attempt early, as one AbortSignal whose reason says why: the document
 * was deleted (polled, so a DELETE stops extraction and embedding requests within a fraction of a
 * second instead of at the next checkpoint), the worker is shutting down, or the wall-clock limit passed.
 */
export class IngestionRun {
  private readonly controller = new AbortController();
  private readonly deadline: NodeJS.Timeout;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onShutdown: () => void;

  constructor(private readonly options: IngestionRunOptions) {
    this.onShutdown = () => this.controller.abort(options.shutdown.reason);
    if (options.shutdown.aborted) this.onShutdown();
    else options.shutdown.addEventListener('abort', this.onShutdown, { once: true });
    this.deadline = setTimeout(() => this.controller.abort(ingestionTimeoutError(options.timeoutSeconds)), options.timeoutSeconds * 1000);
    this.schedulePoll();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Ends the polling and the timers; the signal stays as it is. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.deadline);
    clearTimeout(this.pollTimer);
    this.options.shutdown.removeEventListener('abort', this.onShutdown);
  }

  private schedulePoll(): void {
    this.pollTimer = setTimeout(() => void this.poll(), DELETION_POLL_MS);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.signal.aborted) return;
    try {
      if (!(await this.options.exists(this.options.documentId))) {
        this.controller.abort(new DocumentDeletedError(this.options.documentId));
        return;
      }
    } catch (error) {
      this.options.onPollError(error);
    }
    if (!this.stopped) this.schedulePoll();
  }
}
