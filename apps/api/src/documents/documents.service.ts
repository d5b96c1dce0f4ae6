import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { Request } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BlobClaim, CollectionsRepository, DocumentPosition, DocumentRecord, DocumentsRepository, isUuid, NewDocument, TenantUsage, TenantUsageRepository } from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { AppError, NotFoundError, ValidationError } from '@app/errors';
import { IngestionProducer, ingestionJobId } from '@app/queue';
import { DEFAULT_COLLECTION } from '@app/retrieval';
import { BLOB_STORE, BlobLifecycle, BlobStore } from '@app/storage';
import { AuditTrail } from '../audit/audit-trail';
import { Principal, requestTenant } from '../auth/principal';
import { InvalidCursorError } from '../errors/invalid-cursor.error';
import { DEFAULT_PAGE_SIZE } from '../pagination/page-query.dto';
import { toValidationError } from '../errors/validation';
import { ListDocumentsQueryDto } from './dto/document.dto';
import { UploadAcceptedDto, UploadDocumentDto } from './dto/upload-document.dto';
import { admitUpload, hasQuota } from './tenant-quota';
import { receiveUpload } from './upload/multipart-upload';

function encodeCursor(position: DocumentPosition): string {
  return Buffer.from(`${position.createdAtMicros}|${position.id}`).toString('base64url');
}

function decodeCursor(cursor: string): DocumentPosition {
  const [micros, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // 18 digits at most: always within bigint (today is 16), so the database never refuses what got past here.
  if (!id || !/^\d{1,18}$/.test(micros) || !isUuid(id)) throw new InvalidCursorError();
  return { createdAtMicros: BigInt(micros), id };
}

function parseMetadata(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError('invalid_metadata', 'metadata must be a JSON object, e.g. {"team":"hr"}.', 400);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('invalid_metadata', 'metadata must be a JSON object, e.g. {"team":"hr"}.', 400);
  }
  return value as Record<string, unknown>;
}

/** Uploading, reading and deleting documents; ingestion itself happens in the worker. */
@Injectable()
export class DocumentsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
    private readonly documents: DocumentsRepository,
    private readonly collections: CollectionsRepository,
    private readonly usage: TenantUsageRepository,
    private readonly producer: IngestionProducer,
    private readonly audit: AuditTrail,
    private readonly blobLifecycle: BlobLifecycle,
  ) {}

  /**
   * Streams the upload to the blob store, records the document and enqueues its ingestion. Quotas are checked
   * three times: before the body is read, the count and whether any byte is left (a tenant key's tenant is
   * known then; an admin names it in the form); both figures once the file's size is known, before it is
   * published; and both again under the tenant's lock in the transaction that inserts the row, which alone
   * makes them exact under concurrent uploads. The first two only spare work. The file is published under a
   * claim on its blob that the insert redeems (see BlobsRepository): deleting another document with the same
   * file meanwhile cannot take the content this one is about to name.
   */
  async upload(req: Request, principal: Principal): Promise<UploadAcceptedDto> {
    const quotas = this.config.quotas;
    if (hasQuota(quotas) && principal.tenant !== null) admitUpload(quotas, await this.usage.usage(principal.tenant));
    const { fields, file } = await receiveUpload(req, this.blobs, this.config.maxUploadBytes, this.config.uploadIdleTimeoutMs);
    try {
      const dto = plainToInstance(UploadDocumentDto, fields);
      const errors = await validate(dto, { forbidUnknownValues: false });
      if (errors.length) throw toValidationError(errors);
      const metadata = parseMetadata(dto.metadata);
      const chunkTokens = dto.chunk_tokens ?? this.config.chunking.chunkTokens;
      const chunkOverlap = dto.chunk_overlap ?? Math.min(this.config.chunking.overlapTokens, chunkTokens - 1);
      if (chunkOverlap >= chunkTokens) throw new ValidationError('chunk_overlap must be smaller than chunk_tokens.');
      const tenant = requestTenant(principal, dto.tenant);

      const admit = hasQuota(quotas) ? (usage: TenantUsage) => admitUpload(quotas, usage, file.blob.size) : undefined;
      if (admit) admit(await this.usage.usage(tenant));

      const collection = await this.collections.getOrCreate(tenant, dto.collection ?? DEFAULT_COLLECTION, this.embedder.model, this.embedder.dimension);
      const claim = await this.blobLifecycle.publish(file.blob);
      const id = randomUUID();
      const doc = await this.createOrRelease(claim, admit, {
        id,
        tenant,
        collectionId: collection.id,
        title: dto.title ?? file.filename?.replace(/\.[^.]+$/, '') ?? 'Untitled',
        filename: file.filename,
        mediaType: file.mediaType,
        byteSize: file.blob.size,
        metadata,
        chunkTokens,
        chunkOverlap,
        jobId: ingestionJobId(id),
      });
      try {
        await this.producer.enqueue(doc.id);
      } catch (error) {
        // Without a job the document would sit in `queued` forever: undo it and let the client retry. There is
        // no job to cancel and Redis is likely down, so this must not go through the queue (`delete` does).
        await this.documents.delete(tenant, doc.id);
        await this.blobLifecycle.collect(doc.blobSha256);
        throw error;
      }
      return { document_id: doc.id, job_id: doc.jobId, status: 'queued' };
    } catch (error) {
      await file.blob.discard();
      throw error;
    }
  }

  /** Inserts the row; when the insert is refused (a quota lost to a concurrent upload), the claim is released and the file goes unless shared. */
  private async createOrRelease(claim: BlobClaim, admit: ((usage: TenantUsage) => void) | undefined, doc: NewDocument): Promise<DocumentRecord> {
    try {
      return await this.documents.create(doc, claim, admit);
    } catch (error) {
      await this.blobLifecycle.release(claim);
      throw error;
    }
  }

  /** The document, if the caller's tenant owns it: another tenant's document is 404, so its existence is not confirmed. */
  async get(id: string, principal: Principal): Promise<DocumentRecord> {
    const doc = isUuid(id) ? await this.documents.findVisible(principal.tenant, id) : null;
    if (!doc) throw new NotFoundError('Document', id);
    return doc;
  }

  async list(query: ListDocumentsQueryDto, principal: Principal): Promise<{ data: DocumentRecord[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    let collectionIds: string[] | undefined;
    if (query.collection) {
      const collections = await this.collections.findByName(principal.tenant, query.collection);
      if (collections.length === 0) return { data: [], nextCursor: null };
      collectionIds = collections.map((collection) => collection.id);
    }
    const rows = await this.documents.list({
      tenant: principal.tenant,
      collectionIds,
      status: query.status,
      limit,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const page = rows.slice(0, limit);
    return { data: page.map((row) => row.document), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].position) : null };
  }

  /**
   * Cancels the document's ingestion, deletes its pages and chunks, and its blob when nothing else needs it:
   * no other document (of any tenant) and no upload of the same file in flight (see BlobsRepository).
   */
  async delete(id: string, principal: Principal): Promise<void> {
    const doc = await this.get(id, principal);
    // A job that already started cannot be removed from the queue; the worker sees the row gone and stops.
    await this.producer.cancel(doc.id);
    await this.documents.delete(doc.tenant, doc.id);
    await this.collections.bumpContentVersion(doc.tenant, doc.collectionId);
    // The deletion marked the blob, so should this fail (or the process die first), the collector takes it later.
    await this.blobLifecycle.collect(doc.blobSha256);
    await this.audit.record(principal, 'document.delete', `document:${doc.id}`, { tenant: doc.tenant, collection: doc.collection, title: doc.title });
  }
}

