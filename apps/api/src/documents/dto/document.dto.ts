import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_STATUSES, DocumentRecord, DocumentStatus } from '@app/database';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQueryDto } from '../../pagination/page-query.dto';
import { COLLECTION_NAME, COLLECTION_NAME_MESSAGE } from './upload-document.dto';

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
  @ApiProperty({ type: ErrorInfoDto, nullable: true }) error!: ErrorInfoDto | null;
  @ApiProperty() job_id!: string;
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

export function toDocumentDto(doc: DocumentRecord): DocumentDto {
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
    created_at: doc.createdAt.toISOString(),
    updated_at: doc.updatedAt.toISOString(),
  };
}
