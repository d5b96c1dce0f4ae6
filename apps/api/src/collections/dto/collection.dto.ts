import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CollectionSummary } from '@app/database';
import { IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';
import { PageQueryDto } from '../../pagination/page-query.dto';
import { COLLECTION_NAME, COLLECTION_NAME_MESSAGE } from '../../documents/dto/upload-document.dto';
import { MaxChars } from '../../errors/max-chars';

const DESCRIPTION_MAX = 2000;

export class CollectionDto {
  @ApiProperty({ example: 'default' }) tenant!: string;
  @ApiProperty({ example: 'handbook' }) name!: string;
  @ApiProperty({ example: 'Employee handbook and HR policies' }) description!: string;
  @ApiProperty({ example: 'local-hash-v2' }) embedding_model!: string;
  @ApiProperty({ example: 1024 }) embedding_dimension!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { queued: 0, processing: 1, ready: 12, failed: 0 },
    description: 'Documents by status; every status is present.',
  })
  documents!: Record<string, number>;
  @ApiProperty({ description: 'Chunks of its ready documents: what a search can find.' }) chunks!: number;
  @ApiProperty({ description: "Bytes of its documents' files, as uploaded." }) bytes!: number;
  @ApiProperty() created_at!: string;
  @ApiProperty({ description: 'The latest change to the collection or to any of its documents.' }) updated_at!: string;
}

export class CollectionListDto {
  @ApiProperty({ type: [CollectionDto] }) data!: CollectionDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` to get the next page; null on the last page.' })
  next_cursor!: string | null;
}

/** Which tenant's collection a request by name means: admin keys name it (default `default`); tenant keys have their own. */
export class CollectionTenantQueryDto {
  @ApiPropertyOptional({ description: 'Admin keys only: the tenant whose collection this is (default `default`).' })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;
}

export class ListCollectionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: "Admin keys only: one tenant's collections (default: every tenant's)." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

}

export class CreateCollectionDto {
  @ApiProperty({ example: 'handbook', pattern: COLLECTION_NAME.source })
  @Matches(COLLECTION_NAME, { message: COLLECTION_NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ example: 'Employee handbook and HR policies', maxLength: DESCRIPTION_MAX, default: '' })
  @IsOptional()
  @IsString()
  @MaxChars(DESCRIPTION_MAX)
  description?: string;

  @ApiPropertyOptional({
    example: 'text-embedding-3-small',
    description: 'The embedding model its documents are indexed with. It must be the model this server embeds with (the default).',
  })
  @IsOptional()
  @IsString()
  @MaxChars(200)
  embedding_model?: string;

  @ApiPropertyOptional({ description: 'Admin keys only: the tenant to create it in (default `default`).' })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;
}

export class UpdateCollectionDto {
  @ApiProperty({ example: 'Employee handbook, HR policies and benefits', maxLength: DESCRIPTION_MAX })
  @IsString()
  @MaxChars(DESCRIPTION_MAX)
  description!: string;
}

export function toCollectionDto(collection: CollectionSummary): CollectionDto {
  return {
    tenant: collection.tenant,
    name: collection.name,
    description: collection.description,
    embedding_model: collection.embeddingModel,
    embedding_dimension: collection.embeddingDim,
    documents: collection.documents,
    chunks: collection.chunks,
    bytes: collection.bytes,
    created_at: collection.createdAt.toISOString(),
    updated_at: collection.updatedAt.toISOString(),
  };
}
