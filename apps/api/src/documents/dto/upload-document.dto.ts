import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';

export const COLLECTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const COLLECTION_NAME_MESSAGE = 'collection must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit';

/** The text fields of a multipart upload (the `file` part is streamed separately). */
export class UploadDocumentDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'PDF, Markdown or UTF-8 text; the type is detected from the content.' })
  file!: unknown;

  @ApiPropertyOptional({ example: 'handbook', default: 'default', pattern: COLLECTION_NAME.source })
  @IsOptional()
  @Matches(COLLECTION_NAME, { message: COLLECTION_NAME_MESSAGE })
  collection?: string;

  @ApiPropertyOptional({ example: 'Employee handbook 2026', maxLength: 300, description: 'Defaults to the file name.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  title?: string;

  @ApiPropertyOptional({ example: '{"team":"hr","year":2026}', description: 'A JSON object (at most 8 KiB) to filter searches by.' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  metadata?: string;

  @ApiPropertyOptional({ example: 'acme', pattern: TENANT_NAME.source, description: "Admin keys only: the tenant to upload into (default: 'default'). Other keys upload into their own tenant." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

  @ApiPropertyOptional({ minimum: 50, maximum: 4000, default: 500, description: 'Chunk size in tokens.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(4000)
  chunk_tokens?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2000, default: 80, description: 'Tokens shared by consecutive chunks.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2000)
  chunk_overlap?: number;
}

export class UploadAcceptedDto {
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty({ example: 'ingest-0b6f…' }) job_id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
}
