import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DeletionJobDto, toDeletionJobDto } from '../jobs/dto/deletion-job.dto';
import { CollectionsService } from './collections.service';
import {
  CollectionDto,
  CollectionListDto,
  CollectionTenantQueryDto,
  CreateCollectionDto,
  ListCollectionsQueryDto,
  toCollectionDto,
  UpdateCollectionDto,
} from './dto/collection.dto';

@ApiTags('collections')
@Controller('v1/collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Get()
  @RequireRole('reader')
  @ApiOperation({ summary: 'List collections with their documents by status, chunks, bytes and last change, by tenant and name' })
  @ApiOkResponse({ type: CollectionListDto })
  async list(@Query() query: ListCollectionsQueryDto, @CurrentPrincipal() principal: Principal): Promise<CollectionListDto> {
    const { data, nextCursor } = await this.collections.list(query, principal);
    return { data: data.map(toCollectionDto), next_cursor: nextCursor };
  }

  @Get(':name')
  @RequireRole('reader')
  @ApiOperation({ summary: 'A collection with its figures' })
  @ApiOkResponse({ type: CollectionDto })
  @ApiNotFoundResponse({ description: '`not_found`: the tenant has no collection by that name' })
  async get(@Param('name') name: string, @Query() query: CollectionTenantQueryDto, @CurrentPrincipal() principal: Principal): Promise<CollectionDto> {
    return toCollectionDto(await this.collections.get(name, principal, query.tenant));
  }

  @Post()
  @RequireRole('member')
  @ApiOperation({
    summary: 'Create a collection',
    description: 'Uploading to a collection that does not exist creates it too; this names and describes it first.',
  })
  @ApiCreatedResponse({ type: CollectionDto })
  @ApiConflictResponse({ description: '`collection_exists`: the tenant has a collection by that name; `collection_deleting`: one by that name is being deleted' })
  @ApiBadRequestResponse({ description: '`unsupported_embedding_model`: not the model this server embeds with; `validation_failed`' })
  async create(@Body() body: CreateCollectionDto, @CurrentPrincipal() principal: Principal): Promise<CollectionDto> {
    return toCollectionDto(await this.collections.create(body, principal));
  }

  @Patch(':name')
  @RequireRole('member')
  @ApiOperation({ summary: "Change a collection's description" })
  @ApiOkResponse({ type: CollectionDto })
  @ApiNotFoundResponse({ description: '`not_found`: the tenant has no collection by that name' })
  async update(
    @Param('name') name: string,
    @Query() query: CollectionTenantQueryDto,
    @Body() body: UpdateCollectionDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CollectionDto> {
    return toCollectionDto(await this.collections.describe(name, body.description, principal, query.tenant));
  }

  @Delete(':name')
  @HttpCode(202)
  @RequireRole('member')
  @ApiOperation({
    summary: 'Delete a collection in the background',
    description:
      'Answers 202 with the deletion job at once. From then on the collection is gone from listings and GET, and searching, querying, ' +
      'uploading to it or creating one by its name answer 409 `collection_deleting` (with `details.job_id`), while a worker removes its ' +
      'documents, pages, chunks and files in batches. Poll GET /v1/jobs/:id for progress; the name can be used again once the job is ' +
      '`completed`. Asking again while it runs returns the same job; asking again after it `failed` starts that job over (`waiting`, ' +
      '`attempts` from 0), resuming where it stopped. Accepted while Redis cannot take the job too: the job stays `waiting` until a ' +
      "worker's reconciler enqueues it (within two RECONCILE_INTERVAL_SECONDS of Redis being back).",
  })
  @ApiAcceptedResponse({ type: DeletionJobDto })
  @ApiNotFoundResponse({ description: '`not_found`: the tenant has no collection by that name' })
  async delete(@Param('name') name: string, @Query() query: CollectionTenantQueryDto, @CurrentPrincipal() principal: Principal): Promise<DeletionJobDto> {
    return toDeletionJobDto(await this.collections.delete(name, principal, query.tenant));
  }
}
