import { Inject, Injectable } from '@nestjs/common';
import { ALL_TENANTS, CollectionsRepository, CollectionSummary, DeletionJob, DeletionJobsRepository } from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { AppError, NotFoundError } from '@app/errors';
import { DeletionProducer } from '@app/queue';
import { AuditTrail } from '../audit/audit-trail';
import { Principal, requestTenant } from '../auth/principal';
import { TENANT_NAME } from '../auth/tenant-name';
import { InvalidCursorError } from '../errors/invalid-cursor.error';
import { DEFAULT_PAGE_SIZE } from '../pagination/page-query.dto';
import { COLLECTION_NAME } from '../documents/dto/upload-document.dto';
import { CreateCollectionDto, ListCollectionsQueryDto } from './dto/collection.dto';

export class UnsupportedEmbeddingModelError extends AppError {
  constructor(requested: string, served: string) {
    super(
      'unsupported_embedding_model',
      `This server embeds with ${served}; a collection for ${requested} could never be ingested into or searched here.`,
      400,
      { embedding_model: served },
    );
  }
}

interface CollectionPosition {
  tenant: string;
  name: string;
}

const encodeCursor = (position: CollectionPosition) => Buffer.from(`${position.tenant}/${position.name}`).toString('base64url');

function decodeCursor(cursor: string): CollectionPosition {
  const [tenant, name, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('/');
  if (rest.length || !TENANT_NAME.test(tenant ?? '') || !COLLECTION_NAME.test(name ?? '')) throw new InvalidCursorError();
  return { tenant, name };
}

/**
 * Collections as things users manage: listed with their figures, created ahead of any upload with a
 * description, described again later. (Uploading to a name that does not exist still creates it.)
 */
@Injectable()
export class CollectionsService {
  constructor(
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
    private readonly collections: CollectionsRepository,
    private readonly deletions: DeletionJobsRepository,
    private readonly deletionQueue: DeletionProducer,
    private readonly audit: AuditTrail,
  ) {}

  async list(query: ListCollectionsQueryDto, principal: Principal): Promise<{ data: CollectionSummary[]; nextCursor: string | null }> {
    // Admin keys see every tenant unless they name one; a tenant key sees its own (naming another is 403).
    const scope = principal.tenant === null && query.tenant === undefined ? ALL_TENANTS : requestTenant(principal, query.tenant);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.collections.list(scope, limit + 1, query.cursor ? decodeCursor(query.cursor) : undefined);
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async get(name: string, principal: Principal, tenant?: string): Promise<CollectionSummary> {
    const collection = COLLECTION_NAME.test(name) ? await this.collections.summary(requestTenant(principal, tenant), name) : null;
    if (!collection) throw new NotFoundError('Collection', name);
    return collection;
  }

  async create(dto: CreateCollectionDto, principal: Principal): Promise<CollectionSummary> {
    const tenant = requestTenant(principal, dto.tenant);
    // One embedding model per server: a collection is only useful with the model that will fill and search it.
    const model = dto.embedding_model ?? this.embedder.model;
    if (model !== this.embedder.model) throw new UnsupportedEmbeddingModelError(model, this.embedder.model);
    const collection = await this.collections.create(tenant, dto.name, dto.description ?? '', model, this.embedder.dimension);
    await this.audit.record(principal, 'collection.create', `collection:${tenant}/${dto.name}`, { tenant, name: dto.name });
    return collection;
  }

  async describe(name: string, description: string, principal: Principal, tenant?: string): Promise<CollectionSummary> {
    const owner = requestTenant(principal, tenant);
    const collection = COLLECTION_NAME.test(name) ? await this.collections.describe(owner, name, description) : null;
    if (!collection) throw new NotFoundError('Collection', name);
    await this.audit.record(principal, 'collection.update', `collection:${owner}/${name}`, { tenant: owner, name });
    return collection;
  }

  /**
   * Starts deleting the collection in the background: from this call's commit it is refused by name (409
   * collection_deleting) while a worker removes its documents, pages, chunks and files; the name is free again
   * when the job completes. Asking again while it runs returns the same job; asking after it failed starts it
   * over (waiting, its attempts from zero, all its BullMQ attempts), resuming where it stopped.
   */
  async delete(name: string, principal: Principal, tenant?: string): Promise<DeletionJob> {
    const owner = requestTenant(principal, tenant);
    const request = COLLECTION_NAME.test(name) ? await this.deletions.createForCollection(owner, name) : null;
    if (!request) throw new NotFoundError('Collection', name);
    // Marked and recorded first, queued second: if Redis cannot take the job, the collection stays refused, the
    // reconciler enqueues the job, and a repeated DELETE tries to queue the same job at once.
    if (request.created) await this.audit.record(principal, 'collection.delete', `collection:${owner}/${name}`, { tenant: owner, name, job_id: request.job.id });
    await this.deletionQueue.enqueueOrLeaveToReconciler(request.job.id);
    return request.job;
  }
}
