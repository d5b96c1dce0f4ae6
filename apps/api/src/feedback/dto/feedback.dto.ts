import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { FEEDBACK_RATINGS, FeedbackRating, FeedbackRecord } from '@app/database';
import { MaxChars } from '../../errors/max-chars';

/** Longest comment kept with a rating, in characters (the column's check says the same). */
export const MAX_FEEDBACK_COMMENT_CHARS = 2_000;

export class FeedbackRequestDto {
  @ApiProperty({ enum: FEEDBACK_RATINGS })
  @IsIn(FEEDBACK_RATINGS, { message: 'rating must be "up" or "down"' })
  rating!: FeedbackRating;

  @ApiPropertyOptional({ maxLength: MAX_FEEDBACK_COMMENT_CHARS, nullable: true, type: String, description: 'Why; redacted like query logs when REDACT_PII is on. Empty or null: no comment.' })
  @IsOptional()
  @IsString()
  @MaxChars(MAX_FEEDBACK_COMMENT_CHARS)
  comment?: string | null;
}

export class FeedbackDto {
  @ApiProperty({ format: 'uuid' }) query_id!: string;
  @ApiProperty({ enum: FEEDBACK_RATINGS }) rating!: FeedbackRating;
  @ApiProperty({ nullable: true, type: String }) comment!: string | null;
  @ApiProperty({ description: 'This rating replaced an earlier one for the same answer.' }) replaced!: boolean;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export const toFeedbackDto = (feedback: FeedbackRecord): FeedbackDto => ({
  query_id: feedback.queryId,
  rating: feedback.rating,
  comment: feedback.comment,
  replaced: feedback.replaced,
  created_at: feedback.createdAt.toISOString(),
  updated_at: feedback.updatedAt.toISOString(),
});
