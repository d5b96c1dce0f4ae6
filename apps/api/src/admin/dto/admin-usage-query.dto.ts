import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { CursorQueryDto } from '../../pagination/page-query.dto';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';

/** A UTC day as the usage list takes and gives it. */
export const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Its pages are of rows, a tenant's day each: up to 5,000 (a week of 700 tenants). */
export class AdminUsageQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ example: '2026-11-01', description: 'First UTC day, inclusive (default: 29 days before `to`).' })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a date as YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-30', description: 'Last UTC day, inclusive (default: today).' })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a date as YYYY-MM-DD' })
  to?: string;

  @ApiPropertyOptional({ description: "One tenant's usage (default: every tenant's)." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 1000, description: 'Rows (tenant and day) per page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}
