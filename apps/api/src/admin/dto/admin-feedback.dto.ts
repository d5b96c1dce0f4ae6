import { ApiProperty } from '@nestjs/swagger';

/** "down" answers listed at most: the dashboard shows the latest, not an archive. */
export const RECENT_DOWN_LIMIT = 20;

export class RatedSourceDto {
  @ApiProperty({ description: 'The `[n]` the answer cited it by.' }) n!: number;
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() page_start!: number;
  @ApiProperty() page_end!: number;
}

export class DownRatedAnswerDto {
  @ApiProperty({ format: 'uuid' }) query_id!: string;
  @ApiProperty() tenant!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Null when the collection has since been deleted.' }) collection!: string | null;
  @ApiProperty({ description: 'The question as logged (redacted when REDACT_PII is on).' }) question!: string;
  @ApiProperty({ nullable: true, type: String }) comment!: string | null;
  @ApiProperty({ type: [RatedSourceDto], description: 'What the answer cited.' }) sources!: RatedSourceDto[];
  @ApiProperty() rated_at!: string;
}

export class AdminFeedbackDto {
  @ApiProperty({ description: 'Start of the window.' }) since!: string;
  @ApiProperty() up!: number;
  @ApiProperty() down!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'up / (up + down) over the window; null when nothing was rated.' })
  satisfaction_rate!: number | null;
  @ApiProperty({ type: [DownRatedAnswerDto], description: `The latest "down" ratings in the window, newest first (${RECENT_DOWN_LIMIT} at most).` })
  recent_down!: DownRatedAnswerDto[];
}
