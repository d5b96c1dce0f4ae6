import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_STATUSES, DocumentRecord, DocumentStatus } from '@app/database';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQueryDto } from '../../pagination/page-query.dto';
import { COLLECTION_NAME, COLLECTION_NAME_MESSAGE } from './upload-document.dto';

/** What a document's (and its job's) `error` holds, in OpenAPI. */
export const DOCUMENT_ERROR_DESCRIPTION =
  'Why a `failed` document failed; for a `queued` one, the outage (embedding provider, object store, database) it waits out before its next try.';

export class ErrorInfoDto {
  @ApiProperty({ example: 'pdf_encrypted' }) code!: string;
  @ApiProperty() message!: string;
}

export class ProgressDto {
  @ApiProperty({ enum: ['queued', 'extract', 'embed', 'finalize', 'done'] }) stage!: string;
  @ApiProperty() pages_done!: number;
  @ApiProperty({ nullable: true, type: Number }) pages_total!: number | null;
  @ApiProperty() chunks_done!: number;
  @ApiProperty({ nullable: true, type: Number }) chunks_total!: number | null;
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
}

/** A new version being ingested (PUT /v1/documents/:id), or the one that failed: the document answers with its current version meanwhile. */
export class ReplacementDto {
  @ApiProperty({ enum: ['queued', 'processing', 'failed'], description: 'failed: the new version was not swapped in; `error` says why and the current version stays.' })
  status!: DocumentStatus;
  @ApiProperty() job_id!: string;
  @ApiProperty({ nullable: true, type: String }) filename!: string | null;
  @ApiProperty() byte_size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ type: ProgressDto }) progress!: ProgressDto;
  @ApiProperty({ type: ErrorInfoDto, nullable: true, description: DOCUMENT_ERROR_DESCRIPTION }) error!: ErrorInfoDto | null;
  @ApiProperty() created_at!: string;
}

export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() collection!: string;
  @ApiProperty({ nullable: true, type: String }) filename!: string | null;
  @ApiProperty({ enum: ['application/pdf', 'text/markdown', 'text/plain'] }) media_type!: string;
  @ApiProperty() byte_size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ enum: DOCUMENT_STATUSES }) status!: DocumentStatus;
  @ApiProperty({ nullable: true, type: Number, description: 'Pages (PDF) or sections (Markdown / text).' }) page_count!: number | null;
  @ApiProperty({ nullable: true, type: Number }) chunk_count!: number | null;
  @ApiProperty({ type: ProgressDto }) progress!: ProgressDto;
  @ApiProperty({ type: ErrorInfoDto, nullable: true, description: DOCUMENT_ERROR_DESCRIPTION }) error!: ErrorInfoDto | null;
  @ApiProperty() job_id!: string;
  @ApiProperty({ minimum: 1, description: '1 for a first upload, one more each time a new version (PUT) is swapped in.' }) version!: number;
  @ApiProperty({ nullable: true, type: String, description: 'When the last new version was swapped in; null before any.' }) replaced_at!: string | null;
  @ApiProperty({ type: ReplacementDto, nullable: true, description: 'The new version being ingested, or the last one that failed; null otherwise.' })
  replacement!: ReplacementDto | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class DocumentListDto {
  @ApiProperty({ type: [DocumentDto] }) data!: DocumentDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` to get the next page; null on the last page.' })
  next_cursor!: string | null;
}

export class ListDocumentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(COLLECTION_NAME, { message: COLLECTION_NAME_MESSAGE })
  collection?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_STATUSES })
  @IsOptional()
  @IsIn(DOCUMENT_STATUSES)
  status?: DocumentStatus;

}

/** Overall progress: extraction is the first half of the work, embedding the second. */
export function progressPercent(doc: DocumentRecord): number {
  if (doc.status === 'ready') return 100;
  if (!doc.pagesTotal) return 0;
  const done = (0.5 * doc.pagesDone + 0.5 * doc.pagesEmbedded) / doc.pagesTotal;
  return Math.min(99, Math.floor(done * 100));
}

export function toProgressDto(doc: DocumentRecord): ProgressDto {
  return {
    stage: doc.stage,
    pages_done: doc.pagesDone,
    pages_total: doc.pagesTotal,
    chunks_done: doc.chunksDone,
    chunks_total: doc.chunksTotal,
    percent: progressPercent(doc),
  };
}

function toReplacementDto(pending: DocumentRecord): ReplacementDto {
  return {
    status: pending.status,
    job_id: pending.jobId,
    filename: pending.filename,
    byte_size: pending.byteSize,
    sha256: pending.blobSha256,
    progress: toProgressDto(pending),
    error: pending.error,
    created_at: pending.createdAt.toISOString(),
  };
}

/** The document as clients see it; `pending` is its pending version (see DocumentsRepository.pendingVersionsOf), if any. */
export function toDocumentDto(doc: DocumentRecord, pending?: DocumentRecord): DocumentDto {
  return {
    id: doc.id,
    title: doc.title,
    collection: doc.collection,
    filename: doc.filename,
    media_type: doc.mediaType,
    byte_size: doc.byteSize,
    sha256: doc.blobSha256,
    metadata: doc.metadata,
    status: doc.status,
    page_count: doc.pagesTotal,
    chunk_count: doc.status === 'ready' ? doc.chunksTotal : null,
    progress: toProgressDto(doc),
    error: doc.error,
    job_id: doc.jobId,
    version: doc.version,
    replaced_at: doc.replacedAt?.toISOString() ?? null,
    replacement: pending ? toReplacementDto(pending) : null,
    created_at: doc.createdAt.toISOString(),
    updated_at: doc.updatedAt.toISOString(),
  };
}
