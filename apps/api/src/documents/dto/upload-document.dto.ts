import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';

export const COLLECTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const COLLECTION_NAME_MESSAGE = 'collection must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit';

/*
 * The fields an upload and a replacement share, each with its bounds in one place (the chunk sizes are those
 * CHUNK_TOKENS and CHUNK_OVERLAP_TOKENS allow); each DTO gives its own description and default.
 */
const TitleField = (options: ApiPropertyOptions) =>
  applyDecorators(ApiPropertyOptional({ maxLength: 300, ...options }), IsOptional(), IsString(), MinLength(1), MaxLength(300));
const MetadataField = (options: ApiPropertyOptions) => applyDecorators(ApiPropertyOptional(options), IsOptional(), IsString(), MaxLength(8192));
const ChunkTokensField = (options: ApiPropertyOptions) =>
  applyDecorators(ApiPropertyOptional({ minimum: 50, maximum: 4000, ...options }), IsOptional(), Type(() => Number), IsInt(), Min(50), Max(4000));
const ChunkOverlapField = (options: ApiPropertyOptions) =>
  applyDecorators(ApiPropertyOptional({ minimum: 0, maximum: 2000, ...options }), IsOptional(), Type(() => Number), IsInt(), Min(0), Max(2000));

/** The text fields of a multipart upload (the `file` parts are streamed separately). */
export class UploadDocumentDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'binary' },
    description:
      'One or more `file` parts (up to MAX_FILES_PER_UPLOAD, default 100): PDF, Markdown or text (UTF-8, UTF-16 with its byte-order mark, or Windows-1252), the type detected from the content. ' +
      'One file answers 202 with the document; several (or `?bulk=true`) answer 207 with one result per file.',
  })
  file!: unknown;

  @ApiPropertyOptional({ example: 'handbook', default: 'default', pattern: COLLECTION_NAME.source })
  @IsOptional()
  @Matches(COLLECTION_NAME, { message: COLLECTION_NAME_MESSAGE })
  collection?: string;

  @TitleField({ example: 'Employee handbook 2026', description: 'Defaults to the file name. Only with a single file: several files each take their own name.' })
  title?: string;

  @MetadataField({ example: '{"team":"hr","year":2026}', description: 'A JSON object (at most 8 KiB) to filter searches by.' })
  metadata?: string;

  @ApiPropertyOptional({ example: 'acme', pattern: TENANT_NAME.source, description: "Admin keys only: the tenant to upload into (default: 'default'). Other keys upload into their own tenant." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

  @ChunkTokensField({ default: 500, description: 'Chunk size in tokens.' })
  chunk_tokens?: number;

  @ChunkOverlapField({ default: 80, description: 'Tokens shared by consecutive chunks.' })
  chunk_overlap?: number;
}

export class UploadAcceptedDto {
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty({ example: 'ingest-0b6f…' }) job_id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
}

/** `?bulk=true` asks for the 207 shape whatever the number of files. */
export class UploadQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Answer 207 with one result per file even for a single file.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  bulk?: 'true' | 'false';
}

export class FileErrorDto {
  @ApiProperty({ example: 'unsupported_media_type' }) code!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: unknown;
}

/** One file of a bulk upload: accepted (its document and job) or refused (its error). */
export class UploadResultDto {
  @ApiProperty({ description: 'Position of the file among the `file` parts, from 0.' }) index!: number;
  @ApiProperty({ nullable: true, type: String }) filename!: string | null;
  @ApiProperty({ example: 202, description: '202 when the file was accepted; otherwise the status its error would have alone (413, 415, 400, 429, 503).' })
  http_status!: number;
  @ApiPropertyOptional({ format: 'uuid' }) document_id?: string;
  @ApiPropertyOptional({ example: 'ingest-0b6f…' }) job_id?: string;
  @ApiPropertyOptional({ enum: ['queued'] }) status?: 'queued';
  @ApiPropertyOptional({ type: FileErrorDto }) error?: FileErrorDto;
}

export class BulkUploadDto {
  @ApiProperty({ type: [UploadResultDto], description: 'One result per `file` part, in the order sent.' }) results!: UploadResultDto[];
  @ApiProperty() accepted!: number;
  @ApiProperty() failed!: number;
}

/** The text fields of PUT /v1/documents/:id; each defaults to the document's current value. */
export class ReplaceDocumentDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The new version: PDF, Markdown or text in UTF-8, UTF-16 or Windows-1252 (exactly one file).' })
  file!: unknown;

  @TitleField({ example: 'Employee handbook 2027', description: 'The title once the new version is swapped in; default: unchanged.' })
  title?: string;

  @MetadataField({ example: '{"team":"hr","year":2027}', description: 'A JSON object replacing the metadata once swapped in; default: unchanged.' })
  metadata?: string;

  @ChunkTokensField({ description: "Chunk size in tokens; default: the document's." })
  chunk_tokens?: number;

  @ChunkOverlapField({ description: "Tokens shared by consecutive chunks; default: the document's." })
  chunk_overlap?: number;
}

export const REPLACE_FIELDS = ['title', 'metadata', 'chunk_tokens', 'chunk_overlap'] as const;
