import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class AdminUsageQueryDto {
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
}

export class TenantDayUsageDto {
  @ApiProperty({ example: 'acme' }) tenant!: string;
  @ApiProperty({ example: '2026-11-30', description: 'UTC day' }) day!: string;
  @ApiProperty() queries!: number;
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
  @ApiProperty({ description: 'USD, for queries whose model has a price (CHAT_PRICES)' }) cost_usd!: number;
  @ApiProperty({ description: 'Queries answered from a cache' }) cache_hits!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'cache_hits / queries; null without queries' }) cache_hit_rate!: number | null;
  @ApiProperty({ description: 'Documents that became ready this day (and still exist)' }) documents_ingested!: number;
  @ApiProperty({ description: 'Their pages (sections for Markdown and text)' }) pages_ingested!: number;
}

export class AdminUsageDto {
  @ApiProperty({ example: '2026-11-01' }) from!: string;
  @ApiProperty({ example: '2026-11-30' }) to!: string;
  @ApiProperty({ type: [TenantDayUsageDto], description: 'One row per tenant and day with any query or ingestion, by day then tenant' })
  days!: TenantDayUsageDto[];
}
