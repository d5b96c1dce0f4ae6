import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { ApiKeyRecord, ApiKeyRole } from '@app/database';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../tenant-name';
import { MaxChars } from '../../errors/max-chars';

const ROLES: ApiKeyRole[] = ['admin', 'member', 'reader'];

export class CreateApiKeyDto {
  @ApiPropertyOptional({ example: 'acme', pattern: TENANT_NAME.source, description: 'Required for member and reader keys; admin keys see every tenant and take none.' })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

  @ApiProperty({ enum: ROLES, description: 'admin: everything, all tenants; member: upload, delete, query, search; reader: query and search.' })
  @IsIn(ROLES)
  role!: ApiKeyRole;

  @ApiProperty({ example: 'ci uploader', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxChars(100)
  name!: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'gwk_3f9a0c1b2d4e', description: 'The public head of the key, to recognise it.' }) prefix!: string;
  @ApiProperty({ nullable: true, type: String }) tenant!: string | null;
  @ApiProperty({ enum: ROLES }) role!: ApiKeyRole;
  @ApiProperty() name!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) revoked_at!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown only in this response: only its SHA-256 is stored.' }) key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) data!: ApiKeyDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page.' }) next_cursor!: string | null;
}

export function toApiKeyDto(key: ApiKeyRecord): ApiKeyDto {
  return {
    id: key.id,
    prefix: key.prefix,
    tenant: key.tenant,
    role: key.role,
    name: key.name,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}
