import { Injectable } from '@nestjs/common';
import { CollectionsRepository, DeletionJob, DeletionJobsRepository } from '@app/database';
import { DeletionProducer } from '@app/queue';
import { InvalidFilterError, MetadataFilter, parseMetadataFilter } from '@app/retrieval';
import { AuditTrail } from '../../audit/audit-trail';
import { Principal, requestTenant } from '../../auth/principal';
import { DeleteDocumentsQueryDto } from './delete-by-filter.dto';

/** The `filter` query parameter as a metadata filter: JSON, and an object (InvalidFilterError, 400, otherwise). */
export function parseFilterParam(text: string): MetadataFilter {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidFilterError('not valid JSON', 'filter');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidFilterError('expected a JSON object', 'filter');
  return parsed as MetadataFilter;
}

/**
 * Deleting a collection's documents by metadata: the filter is checked here (a bad one is a 400, not a failed
 * job), the matching documents counted into a deletion job, and a worker removes them in batches.
 */
@Injectable()
export class DeleteByFilterService {
  constructor(
    private readonly collections: CollectionsRepository,
    private readonly deletions: DeletionJobsRepository,
    private readonly queue: DeletionProducer,
    private readonly audit: AuditTrail,
  ) {}

  async start(query: DeleteDocumentsQueryDto, principal: Principal): Promise<DeletionJob> {
    const tenant = requestTenant(principal, query.tenant);
    const filter = parseFilterParam(query.filter);
    const checked = parseMetadataFilter(filter);
    const collection = await this.collections.getUsable(tenant, query.collection);
    const job = await this.deletions.createForDocuments(tenant, collection, filter, checked);
    // Recorded once the job is: it runs whether or not Redis takes it now.
    await this.audit.record(principal, 'documents.delete_by_filter', `collection:${tenant}/${collection.name}`, {
      tenant, collection: collection.name, job_id: job.id, documents: job.documentsTotal,
    });
    await this.queue.enqueueOrLeaveToReconciler(job.id);
    return job;
  }
}
