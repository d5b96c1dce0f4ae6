import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeysService } from './api-keys.service';
import { CurrentPrincipal, RequireRole } from './auth.decorators';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto';
import { Principal } from './principal';
import { AuditTrail } from '../audit/audit-trail';
import { PageQueryDto } from '../pagination/page-query.dto';

@ApiTags('admin')
@RequireRole('admin')
@Controller('v1/admin/api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly audit: AuditTrail,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key', description: 'The raw key is in this response only; only its SHA-256 is stored.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(@Body() body: CreateApiKeyDto, @CurrentPrincipal() principal: Principal): Promise<CreatedApiKeyDto> {
    const { record, key } = await this.keys.create(body);
    await this.audit.record(principal, 'api_key.create', `api_key:${record.id}`, { prefix: record.prefix, role: record.role, tenant: record.tenant });
    return { ...toApiKeyDto(record), key };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets), revoked ones included, newest first, with cursor pagination' })
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@Query() query: PageQueryDto): Promise<ApiKeyListDto> {
    const { data, nextCursor } = await this.keys.list(query);
    return { data: data.map(toApiKeyDto), next_cursor: nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key at once' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    const { key, revokedNow } = await this.keys.revoke(id);
    // Revoking a revoked key again changes nothing, and is not recorded again.
    if (revokedNow) await this.audit.record(principal, 'api_key.revoke', `api_key:${key.id}`, { prefix: key.prefix });
  }
}
