import { Injectable } from '@nestjs/common';
import { DocumentsRepository, DocumentTransitions, isUuid, TenantScope } from '@app/database';
import { AppError, NotFoundError } from '@app/errors';
import { IngestionProducer } from '@app/queue';
import { RetryAcceptedDto } from './dto/retry-accepted.dto';

export class NotRetryableError extends AppError {
  constructor(status: string) {
    super('not_retryable', `Only failed documents can be retried; this one is ${status}.`, 409);
  }
}

/** Sends a failed document through ingestion again, resuming from its stored pages and chunks. */
@Injectable()
export class DocumentRetryService {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly transitions: DocumentTransitions,
    private readonly producer: IngestionProducer,
  ) {}

  async retry(scope: TenantScope, id: string): Promise<RetryAcceptedDto> {
    const doc = isUuid(id) ? await this.documents.findById(scope, id) : null;
    if (!doc) throw new NotFoundError('Document', id);
    if (doc.status !== 'failed' || !doc.error) throw new NotRetryableError(doc.status);
    // The failed job is kept in Redis for debugging, and its id (derived from the document's) would turn
    // the new `add` into a no-op: remove it before touching the row, so a Redis outage changes nothing.
    await this.producer.cancel(doc.id);
    if (!(await this.transitions.retry(doc.tenant, doc.id))) {
      const current = await this.documents.findById(doc.tenant, doc.id);
      throw current ? new NotRetryableError(current.status) : new NotFoundError('Document', id);
    }
    try {
      await this.producer.enqueue(doc.id);
    } catch (error) {
      // Without a job the document would sit in `queued` forever: put the failure back and let the caller retry.
      await this.transitions.fail(doc.tenant, doc.id, doc.error);
      throw error;
    }
    return { document_id: doc.id, job_id: doc.jobId, status: 'queued' };
  }
}
