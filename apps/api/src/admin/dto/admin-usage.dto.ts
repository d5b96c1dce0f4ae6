import { ApiProperty } from '@nestjs/swagger';

// The response only: the dashboard's browser script reads these types (see tsconfig.browser.json), so this
// file imports nothing of the server's. The request is admin-usage-query.dto.ts.
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
