import { ApiProperty } from '@nestjs/swagger';

export class RetryAcceptedDto {
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty({ example: 'ingest-6f0c…' }) job_id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
}
