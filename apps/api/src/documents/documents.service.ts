import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { Request } from 'express';
import { APP_CONFIG, AppConfig, maxChunkOverlap } from '@app/config';
import {
  BlobClaim,
  CollectionsRepository,
  CreatedReplacement,
  DocumentRecord,
  DocumentsRepository,
  isUuid,
  NewDocument,
  TenantUsage,
  TenantUsageRepository,
} from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { LOGGER } from '@app/observability';
import { Logger } from 'pino';
import { AppError, NotFoundError, ValidationError } from '@app/errors';
import { DocumentDeletion, IngestionProducer, ingestionJobId } from '@app/queue';
import { DEFAULT_COLLECTION } from '@app/retrieval';
import { BLOB_STORE, BlobLifecycle, BlobStore } from '@app/storage';
import { AuditTrail } from '../audit/audit-trail';
import { Principal, requestTenant } from '../auth/principal';
import { asClientError } from '../errors/client-errors';
import { decodeListCursor, encodeListCursor } from '../pagination/list-cursor';
import { DEFAULT_PAGE_SIZE } from '../pagination/page-query.dto';
import { toValidationError } from '../errors/validation';
import { nulCharacterAt } from '../security/nul-characters';
import { ListDocumentsQueryDto } from './dto/document.dto';
import { BulkUploadDto, REPLACE_FIELDS, ReplaceDocumentDto, UploadAcceptedDto, UploadDocumentDto, UploadResultDto } from './dto/upload-document.dto';
import { admitReplacement, admitUpload, hasQuota } from './tenant-quota';
import { receiveUpload, StagedFile, StagedFileHandler, UPLOAD_FIELDS, UploadLimits } from './upload/multipart-upload';

/** What an upload answers: one document (202), or one result per file (207). */
export type UploadOutcome = { bulk: false; accepted: UploadAcceptedDto } | { bulk: true; result: BulkUploadDto };

/** A staged file published under its blob claim, waiting for its document row. */
interface PublishedFile {
  claim: BlobClaim;
  file: StagedFile;
}

/** The form's fields as every file of one upload gets them. */
interface UploadForm {
  tenant: string;
  /** The collection's name. */
  collection: string;
  title: string | undefined;
  metadata: Record<string, unknown>;
  chunkTokens: number;
  chunkOverlap: number;
}

interface UploadSettings extends UploadForm {
  collectionId: string;
}

export class DocumentNotReplaceableError extends AppError {
  constructor(status: string) {
    super('document_busy', `The document is ${status}: it can be replaced once it is ready (or failed).`, 409, { status });
  }
}

/** Only a document at rest is replaced: one being ingested would keep writing the chunks the swap replaces. */
function assertReplaceable(doc: DocumentRecord): void {
  if (doc.status !== 'ready' && doc.status !== 'failed') throw new DocumentNotReplaceableError(doc.status);
}

/** A refused file's result in a bulk upload: the status and error body it would have had alone. */
function failedResult(failure: unknown): Pick<UploadResultDto, 'http_status' | 'error'> {
  const error = asClientError(failure);
  if (error instanceof AppError) return { http_status: error.status, error: { code: error.code, message: error.message, details: error.details } };
  return { http_status: 500, error: { code: 'internal_error', message: 'An unexpected error occurred.' } };
}

/**
 * A document's chunking: the form's, else `defaults` (the deployment's, or the current version's), its overlap
 * at most maxChunkOverlap (a default overlap above it for the form's chunk size is lowered to it).
 */
function chunkingOf(dto: { chunk_tokens?: number; chunk_overlap?: number }, defaults: { chunkTokens: number; chunkOverlap: number }) {
  const chunkTokens = dto.chunk_tokens ?? defaults.chunkTokens;
  const maxOverlap = maxChunkOverlap(chunkTokens);
  const chunkOverlap = dto.chunk_overlap ?? Math.min(defaults.chunkOverlap, maxOverlap);
  if (chunkOverlap > maxOverlap) throw new ValidationError(`chunk_overlap must be at most half of chunk_tokens (${maxOverlap}).`);
  return { chunkTokens, chunkOverlap };
}

function parseMetadata(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    // 1e400 parses to Infinity, which would be stored as null; a filter refuses it, so metadata does too.
    value = JSON.parse(raw, (key, item: unknown) => {
      if (typeof item === 'number' && !Number.isFinite(item)) {
        throw new AppError('invalid_metadata', `metadata numbers must be finite (within ±1.8e308): "${key.slice(0, 64)}" is not.`, 400);
      }
      return item;
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('invalid_metadata', 'metadata must be a JSON object, e.g. {"team":"hr"}.', 400);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('invalid_metadata', 'metadata must be a JSON object, e.g. {"team":"hr"}.', 400);
  }
  // A "\u0000" escape parses to a character PostgreSQL's jsonb cannot store (see nul-characters.ts).
  const nulAt = nulCharacterAt(value);
  if (nulAt !== null) throw new AppError('invalid_metadata', `metadata cannot contain the NUL character (U+0000)${nulAt ? ` (at ${nulAt})` : ''}.`, 400);
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
    private readonly deletion: DocumentDeletion,
    private readonly audit: AuditTrail,
    private readonly blobLifecycle: BlobLifecycle,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Each staged file is published under a claim as soon as it is staged, and released if its request fails. */
  private readonly publisher: StagedFileHandler<PublishedFile> = {
    accept: async (file) => ({ claim: await this.blobLifecycle.publish(file.blob), file }),
    release: ({ claim }) => this.blobLifecycle.release(claim),
  };

  /**
   * Streams the upload's files to the blob store, records a document for each and enqueues its ingestion.
   * Each file is published under a claim on its blob as soon as it is staged (BlobLifecycle.publish), while
   * the next one streams in; the documents are recorded once the whole body is read, since the fields may
   * come after the files. Quotas are checked before the body is read (the count, and whether any byte is
   * left: a tenant key's tenant is known then; an admin names it in the form), which only spares work, and
   * exactly under the tenant's lock in the transaction that inserts each row. The insert redeems the claim
   * (see BlobsRepository): deleting another document with the same file meanwhile cannot take the content
   * this one is about to name. A request that fails as a whole releases every claim it made.
   *
   * One file, unless `bulk`: the document, or that file's error as the response (as before bulk uploads
   * existed). Several files, or `bulk`: one result per file, a refused file not refusing the others.
   */
  async upload(req: Request, principal: Principal, bulk: boolean): Promise<UploadOutcome> {
    const quotas = this.config.quotas;
    if (hasQuota(quotas) && principal.tenant !== null) admitUpload(quotas, await this.usage.usage(principal.tenant));
    const { fields, files } = await receiveUpload(req, this.blobs, this.uploadLimits(this.config.maxFilesPerUpload, UPLOAD_FIELDS), this.publisher);
    const published = files.flatMap((file) => (file.ok ? [file.accepted] : []));
    let settings: UploadSettings | null;
    try {
      const form = await this.uploadForm(fields, principal, files.length);
      // No file to store (each was refused: empty, of an unsupported type…): the request stores nothing, not even
      // a new collection it names, and answers with the files' errors. Records are made for accepted files only.
      settings = published.length > 0 ? { ...form, collectionId: await this.collectionIdFor(form) } : null;
    } catch (error) {
      await this.releaseAll(published);
      throw error;
    }
    if (files.length === 1 && !bulk) {
      const [file] = files;
      if (!file.ok) throw file.error;
      return { bulk: false, accepted: await this.record(file.accepted, settings!) };
    }
    const results: UploadResultDto[] = [];
    for (const file of files) {
      const head = { index: file.index, filename: file.filename };
      if (!file.ok) {
        results.push({ ...head, ...failedResult(file.error) });
        continue;
      }
      try {
        results.push({ ...head, http_status: 202, ...(await this.record(file.accepted, settings!)) });
      } catch (error) {
        if (!(error instanceof AppError)) this.logger.error({ err: error, file: file.index }, 'recording one file of a bulk upload failed');
        results.push({ ...head, ...failedResult(error) });
      }
    }
    const accepted = results.filter((result) => result.http_status === 202).length;
    return { bulk: true, result: { results, accepted, failed: results.length - accepted } };
  }

  /** The form's fields, checked once for every file of the request. */
  private async uploadForm(fields: Record<string, string>, principal: Principal, fileCount: number): Promise<UploadForm> {
    const dto = plainToInstance(UploadDocumentDto, fields);
    const errors = await validate(dto, { forbidUnknownValues: false });
    if (errors.length) throw toValidationError(errors);
    if (fileCount > 1 && dto.title !== undefined) throw new ValidationError('title names one document: leave it out when sending several files (each takes its file name).');
    const metadata = parseMetadata(dto.metadata);
    const { chunkTokens, chunkOverlap } = chunkingOf(dto, { chunkTokens: this.config.chunking.chunkTokens, chunkOverlap: this.config.chunking.overlapTokens });
    return { tenant: requestTenant(principal, dto.tenant), collection: dto.collection ?? DEFAULT_COLLECTION, title: dto.title, metadata, chunkTokens, chunkOverlap };
  }

  /** The form's collection, made if new. */
  private async collectionIdFor(form: UploadForm): Promise<string> {
    return (await this.collections.getOrCreate(form.tenant, form.collection, this.embedder.model, this.embedder.dimension)).id;
  }

  /** Records one published file as a queued document and enqueues it; on any failure its claim is released. */
  private async record({ claim, file }: PublishedFile, settings: UploadSettings): Promise<UploadAcceptedDto> {
    const quotas = this.config.quotas;
    const admit = hasQuota(quotas) ? (usage: TenantUsage) => admitUpload(quotas, usage, file.blob.size) : undefined;
    const id = randomUUID();
    const doc = await this.createOrRelease(claim, admit, {
      id,
      tenant: settings.tenant,
      collectionId: settings.collectionId,
      title: settings.title ?? file.filename?.replace(/\.[^.]+$/, '') ?? 'Untitled',
      filename: file.filename,
      mediaType: file.mediaType,
      byteSize: file.blob.size,
      metadata: settings.metadata,
      chunkTokens: settings.chunkTokens,
      chunkOverlap: settings.chunkOverlap,
      jobId: ingestionJobId(id),
    });
    await this.enqueueOrUndo(doc);
    return { document_id: doc.id, job_id: doc.jobId, status: 'queued' };
  }

  /**
   * Without a job the document (or pending version) would sit in `queued` forever: undo it and let the client
   * retry. There is no job to cancel and Redis is likely down, so this must not go through the queue (`delete` does).
   */
  private async enqueueOrUndo(doc: DocumentRecord): Promise<void> {
    try {
      await this.producer.enqueue(doc.id);
    } catch (error) {
      await this.documents.delete(doc.tenant, doc.id);
      await this.blobLifecycle.collectNow(doc.blobSha256);
      throw error;
    }
  }

  private async releaseAll(published: PublishedFile[]): Promise<void> {
    for (const { claim } of published) await this.blobLifecycle.release(claim);
  }

  private uploadLimits(maxFiles: number, fields: readonly string[]): UploadLimits {
    return { maxBytes: this.config.maxUploadBytes, maxFiles, idleTimeoutMs: this.config.uploadIdleTimeoutMs, fields };
  }

  /**
   * Starts replacing the document with a new file (PUT /v1/documents/:id): the file is streamed and published
   * as an upload's is, and recorded as the document's pending version (DocumentsRepository.createReplacement),
   * which the worker ingests while the document keeps answering with its current version, then swaps in
   * (DocumentTransitions.replace). A newer PUT supersedes a pending version not yet swapped in. Only a
   * document at rest (ready, or failed) can be replaced: one still being ingested is 409.
   */
  async replace(id: string, req: Request, principal: Principal): Promise<UploadAcceptedDto> {
    // Checked before the body is read to spare it; checked again under the document's lock.
    const current = await this.get(id, principal);
    assertReplaceable(current);
    const { fields, files } = await receiveUpload(req, this.blobs, this.uploadLimits(1, REPLACE_FIELDS), this.publisher);
    const [file] = files;
    if (!file.ok) throw file.error;
    const { claim } = file.accepted;
    let created: CreatedReplacement | null;
    try {
      const dto = plainToInstance(ReplaceDocumentDto, fields);
      const errors = await validate(dto, { forbidUnknownValues: false });
      if (errors.length) throw toValidationError(errors);
      const { chunkTokens, chunkOverlap } = chunkingOf(dto, current);
      const quotas = this.config.quotas;
      const size = file.accepted.file.blob.size;
      const pendingId = randomUUID();
      created = await this.documents.createReplacement(
        {
          id: pendingId,
          replaces: current.id,
          tenant: current.tenant,
          title: dto.title ?? current.title,
          filename: file.filename,
          mediaType: file.accepted.file.mediaType,
          byteSize: size,
          metadata: dto.metadata === undefined ? current.metadata : parseMetadata(dto.metadata),
          chunkTokens,
          chunkOverlap,
          jobId: ingestionJobId(pendingId),
        },
        claim,
        assertReplaceable,
        hasQuota(quotas) ? (usage) => admitReplacement(quotas, usage, size) : undefined,
      );
      if (!created) throw new NotFoundError('Document', id);
    } catch (error) {
      await this.blobLifecycle.release(claim);
      throw error;
    }
    const { pending, superseded } = created;
    if (superseded) {
      // Its ingestion, if running, sees its row gone and stops; a job still waiting is removed.
      await this.producer.cancel(superseded.id);
      await this.blobLifecycle.collectNow(superseded.blobSha256);
    }
    await this.enqueueOrUndo(pending);
    await this.audit.record(principal, 'document.replace', `document:${current.id}`, { tenant: current.tenant, collection: current.collection, title: pending.title });
    return { document_id: current.id, job_id: pending.jobId, status: 'queued' };
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

  /** The pending versions (new files being ingested, or failed) of these documents, by document id. */
  async pendingVersions(docs: DocumentRecord[]): Promise<Map<string, DocumentRecord>> {
    const scope = docs.length > 0 && docs.every((doc) => doc.tenant === docs[0].tenant) ? docs[0].tenant : null;
    return this.documents.pendingVersionsOf(scope, docs.map((doc) => doc.id));
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
      after: query.cursor ? decodeListCursor(query.cursor) : undefined,
    });
    const page = rows.slice(0, limit);
    return { data: page.map((row) => row.document), nextCursor: rows.length > limit ? encodeListCursor(page[page.length - 1].position) : null };
  }

  /**
   * Cancels the document's ingestion, deletes its pages and chunks, and its blob when nothing else needs it:
   * no other document (of any tenant) and no upload of the same file in flight (see BlobsRepository).
   */
  async delete(id: string, principal: Principal): Promise<void> {
    const doc = await this.get(id, principal);
    const deleted = await this.deletion.delete(doc);
    // Another DELETE of it won the race: answered as it would be a moment later, and not recorded twice.
    if (!deleted) throw new NotFoundError('Document', id);
    // The deletion marked the blobs: should removing them now fail (collectNow logs it) or the process die first,
    // the collector takes them later.
    await this.blobLifecycle.collectNow(doc.blobSha256);
    if (deleted.pendingVersion) await this.blobLifecycle.collectNow(deleted.pendingVersion.blobSha256);
    await this.audit.record(principal, 'document.delete', `document:${doc.id}`, { tenant: doc.tenant, collection: doc.collection, title: doc.title });
  }
}

