import { Logger } from 'pino';

/** At most one line a minute for each such warning. */
const DEFAULT_INTERVAL_MS = 60_000;

/**
 * A warning that an operation carried on without a dependency (Redis unreachable: the embedding cache skipped, an
 * admin request let through unlimited). Such a warning comes once per batch or request for as long as the outage
 * lasts: a worker ingesting while Redis was down wrote two a batch, each with its stack, dozens a second. This
 * logs the first, then at most one per interval, which says how many were left out (`suppressed`) since the last.
 */
export class ThrottledWarning {
  private lastLoggedAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly message: string,
    private readonly intervalMs = DEFAULT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  warn(fields: object): void {
    const now = this.now();
    if (now - this.lastLoggedAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.logger.warn(this.suppressed > 0 ? { ...fields, suppressed: this.suppressed } : fields, this.message);
    this.lastLoggedAt = now;
    this.suppressed = 0;
  }
}
