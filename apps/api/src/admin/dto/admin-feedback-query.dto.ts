import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';

export const DEFAULT_FEEDBACK_WINDOW_DAYS = 7;

export class AdminFeedbackQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 90, default: DEFAULT_FEEDBACK_WINDOW_DAYS, description: 'Ratings given in the last `days` days.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(90)
  days?: number;

  @ApiPropertyOptional({ description: "One tenant's ratings (default: every tenant's)." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;
}
