import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { AuditEntry, AuditLogRepository } from '@app/database';
import { RequireRole } from '../auth/auth.decorators';
import { InvalidCursorError } from '../errors/invalid-cursor.error';

export class ListAuditQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page.' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class AuditEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The key that acted: its id (null for ADMIN_API_KEY), prefix, role and tenant.' })
  actor!: { key_id: string | null; key_prefix: string; role: string; tenant: string | null };
  @ApiProperty({ example: 'api_key.revoke' }) action!: string;
  @ApiProperty({ example: 'api_key:7c1e…' }) target!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty() created_at!: string;
}

export class AuditListDto {
  @ApiProperty({ type: [AuditEntryDto] }) data!: AuditEntryDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor!: string | null;
}

const toAuditEntryDto = (entry: AuditEntry): AuditEntryDto => ({
  id: entry.id,
  actor: { key_id: entry.actorKeyId, key_prefix: entry.actorKeyPrefix, role: entry.actorRole, tenant: entry.actorTenant },
  action: entry.action,
  target: entry.target,
  details: entry.details,
  created_at: entry.createdAt.toISOString(),
});

@ApiTags('admin')
@RequireRole('admin')
@Controller('v1/admin/audit')
export class AuditController {
  constructor(private readonly log: AuditLogRepository) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first: key creation and revocation, deletions, admin retries' })
  @ApiOkResponse({ type: AuditListDto })
  async list(@Query() query: ListAuditQueryDto): Promise<AuditListDto> {
    const limit = query.limit ?? 100;
    // A cursor is an entry's id: 400 invalid_cursor otherwise, as from every other list.
    if (query.cursor !== undefined && !/^\d{1,18}$/.test(query.cursor)) throw new InvalidCursorError();
    const entries = await this.log.list(limit, query.cursor);
    return { data: entries.map(toAuditEntryDto), next_cursor: entries.length === limit ? entries[entries.length - 1].id : null };
  }
}
