import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, ThrottledWarning } from '@app/observability';
import { Logger } from 'pino';

/**
 * Answers of a dependency that is down (PostgreSQL, Redis, the object store, every language model) or of an api
 * that is not ready. While the outage lasts every request gets one, and each was logged as an error with its stack:
 * a hundred lines a second under a hundred requests a second. Each code is logged once a minute instead, saying how
 * many were left out; http_request_duration_seconds still counts every response by status.
 */
const OUTAGE_CODES = ['database_unavailable', 'dependency_unavailable', 'queue_unavailable', 'storage_unavailable', 'llm_unavailable', 'not_ready'];

/** How a request that failed on our side (5xx) is logged, whether it was answered as JSON or in a started stream. */
@Injectable()
export class RequestFailureLog {
  private readonly outages: Map<string, ThrottledWarning>;

  constructor(@Inject(LOGGER) private readonly logger: Logger) {
    this.outages = new Map(OUTAGE_CODES.map((code) => [code, new ThrottledWarning(logger, `requests refused: ${code}`)]));
  }

  /** `failure` is what was thrown; `code` is the error code its client was given. */
  failed(failure: unknown, code: string): void {
    const outage = this.outages.get(code);
    if (outage) outage.warn({ err: failure });
    else this.logger.error({ err: failure }, 'request failed');
  }
}
