import { ApiProperty } from '@nestjs/swagger';

// The response only: the dashboard's browser script reads these types (see tsconfig.browser.json), so this
// file imports nothing of the server's. The request is admin-usage-query.dto.ts.
export class KeyUsageDto {
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The API key; null for ADMIN_API_KEY from the environment' }) api_key_id!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The key's public prefix" }) prefix!: string | null;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty() queries!: number;
  @ApiProperty() total_tokens!: number;
  @ApiProperty() cost_usd!: number;
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
  @ApiProperty({ type: [KeyUsageDto], description: 'The queries of the day by API key, most first' }) keys!: KeyUsageDto[];
}

export class AdminUsageDto {
  @ApiProperty({ example: '2026-11-01' }) from!: string;
  @ApiProperty({ example: '2026-11-30' }) to!: string;
  @ApiProperty({ type: [TenantDayUsageDto], description: 'One row per tenant and day with any query or ingestion, by day then tenant' })
  days!: TenantDayUsageDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` (with the same from, to and tenant) for the next page; null on the last.' })
  next_cursor!: string | null;
}
