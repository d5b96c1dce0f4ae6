import { ApiProperty } from '@nestjs/swagger';
import { DeletionJob } from '@app/database';
import { ErrorInfoDto } from '../../documents/dto/document.dto';

export class DeletionProgressDto {
  @ApiProperty({ description: 'Documents removed so far (with their pages, chunks and files).' }) documents_done!: number;
  @ApiProperty({ description: 'Documents the deletion set out to remove when it was asked for.' }) documents_total!: number;
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
}

/** A background deletion as GET /v1/jobs/:id and the 202 of the DELETE that started it show it. */
export class DeletionJobDto {
  @ApiProperty({ example: 'delete-0b0e9f52-3d2c-4d7e-9d7c-2f3f0c1b2a10' }) id!: string;
  @ApiProperty({ enum: ['collection', 'documents'], description: '`collection`: DELETE /v1/collections/:name; `documents`: DELETE /v1/documents?filter=' })
  kind!: 'collection' | 'documents';
  @ApiProperty() collection!: string;
  @ApiProperty({ nullable: true, type: Object, description: 'The metadata filter of a `documents` deletion.' }) filter!: Record<string, unknown> | null;
  @ApiProperty({ enum: ['waiting', 'active', 'completed', 'failed'] }) state!: 'waiting' | 'active' | 'completed' | 'failed';
  @ApiProperty({ type: DeletionProgressDto }) progress!: DeletionProgressDto;
  @ApiProperty({ description: 'Attempts started on the deletion; asking again for one that failed counts them from 0 again.' }) attempts!: number;
  @ApiProperty({ type: ErrorInfoDto, nullable: true }) error!: ErrorInfoDto | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty() updated_at!: string;
}

export function toDeletionJobDto(job: DeletionJob): DeletionJobDto {
  const { documentsDone: done, documentsTotal: total } = job;
  return {
    id: job.id,
    kind: job.kind,
    collection: job.collectionName,
    filter: job.filter,
    state: job.state,
    progress: {
      documents_done: done,
      documents_total: total,
      percent: job.state === 'completed' ? 100 : total === 0 ? 0 : Math.floor((100 * done) / total),
    },
    attempts: job.attempts,
    error: job.error,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
    updated_at: job.updatedAt.toISOString(),
  };
}
