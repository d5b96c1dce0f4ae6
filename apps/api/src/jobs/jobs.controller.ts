import { Controller, Get, Param } from '@nestjs/common';
import { ApiExtraModels, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { DeletionJobsRepository, DocumentRecord, DocumentsRepository, DocumentStatus, isDeletionJobId } from '@app/database';
import { NotFoundError } from '@app/errors';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DOCUMENT_ERROR_DESCRIPTION, ErrorInfoDto, ProgressDto, toProgressDto } from '../documents/dto/document.dto';
import { DeletionJobDto, toDeletionJobDto } from './dto/deletion-job.dto';

type JobState = 'waiting' | 'active' | 'completed' | 'failed';
const STATE_BY_STATUS: Record<DocumentStatus, JobState> = {
  queued: 'waiting',
  processing: 'active',
  ready: 'completed',
  failed: 'failed',
};

export class JobDto {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty({ enum: Object.values(STATE_BY_STATUS) }) state!: JobState;
  @ApiProperty({ enum: ['queued', 'extract', 'embed', 'finalize', 'done'] }) stage!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: ProgressDto }) progress!: ProgressDto;
  @ApiProperty({ type: ErrorInfoDto, nullable: true, description: DOCUMENT_ERROR_DESCRIPTION }) error!: ErrorInfoDto | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty() updated_at!: string;
}

const toJobDto = (doc: DocumentRecord): JobDto => ({
  id: doc.jobId,
  // A new version's job (PUT /v1/documents/:id) belongs to the document it replaces; its own row is internal.
  document_id: doc.replaces ?? doc.id,
  state: STATE_BY_STATUS[doc.status],
  stage: doc.stage,
  attempts: doc.attempts,
  progress: toProgressDto(doc),
  error: doc.error,
  created_at: doc.createdAt.toISOString(),
  started_at: doc.startedAt?.toISOString() ?? null,
  finished_at: doc.finishedAt?.toISOString() ?? null,
  updated_at: doc.updatedAt.toISOString(),
});

/** Ingestion and deletion jobs for polling, read from PostgreSQL: Redis may already have dropped a finished job. */
@ApiTags('jobs')
@ApiExtraModels(JobDto, DeletionJobDto)
@RequireRole('member')
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly deletions: DeletionJobsRepository,
  ) {}

  @Get(':id')
  @ApiOperation({
    summary: 'A job: an ingestion (state, stage and progress) or a background deletion (state and documents removed)',
    description: 'Ingestion job ids start with `ingest-` (JobDto); deletion job ids with `delete-` (DeletionJobDto).',
  })
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(JobDto) }, { $ref: getSchemaPath(DeletionJobDto) }] } })
  @ApiNotFoundResponse({ description: '`not_found`: no such job in the key\'s tenant' })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<JobDto | DeletionJobDto> {
    if (id.length <= 100 && isDeletionJobId(id)) {
      const deletion = await this.deletions.find(principal.tenant, id);
      if (deletion) return toDeletionJobDto(deletion);
      throw new NotFoundError('Job', id);
    }
    const doc = id.length <= 100 ? await this.documents.findByJobId(principal.tenant, id) : null;
    if (!doc) throw new NotFoundError('Job', id);
    return toJobDto(doc);
  }
}
