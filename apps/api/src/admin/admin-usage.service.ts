import { Injectable } from '@nestjs/common';
import { ALL_TENANTS, DailyIngestion, DailyQueryUsage, QueryLogsRepository, TenantUsageRepository, UsagePage } from '@app/database';
import { AppError } from '@app/errors';
import { TENANT_NAME } from '../auth/tenant-name';
import { InvalidCursorError } from '../errors/invalid-cursor.error';
import { AdminUsageQueryDto, DAY } from './dto/admin-usage-query.dto';
import { AdminUsageDto, TenantDayUsageDto } from './dto/admin-usage.dto';

const DAY_MS = 86_400_000;
/** The longest range one request may ask for: a year, so the answer stays small (days × tenants). */
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;
/** Rows (tenant and day) a page holds unless `limit` says otherwise: 1,500 tenants' week was one 6.8 MB answer. */
const DEFAULT_PAGE_ROWS = 1000;

export class InvalidDateRangeError extends AppError {
  constructor(message: string) {
    super('invalid_date_range', message, 400, { max_days: MAX_DAYS });
  }
}

/** Midnight UTC of a YYYY-MM-DD day that exists (2026-02-30 does not). */
function parseDay(day: string, name: string): Date {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) throw new InvalidDateRangeError(`${name} is not a date: ${day}.`);
  return date;
}

const dayOf = (date: Date) => date.toISOString().slice(0, 10);

/** Usage per tenant and UTC day: queries, tokens, cost and cache hits from the query log, documents and pages ingested. */
@Injectable()
export class AdminUsageService {
  constructor(
    private readonly queryLogs: QueryLogsRepository,
    private readonly tenantUsage: TenantUsageRepository,
  ) {}

  async usage(query: AdminUsageQueryDto): Promise<AdminUsageDto> {
    const to = query.to ? parseDay(query.to, 'to') : parseDay(dayOf(new Date()), 'to');
    const from = query.from ? parseDay(query.from, 'from') : new Date(to.getTime() - (DEFAULT_DAYS - 1) * DAY_MS);
    if (from > to) throw new InvalidDateRangeError('from must not be after to.');
    if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_DAYS) throw new InvalidDateRangeError(`At most ${MAX_DAYS} days at a time.`);
    const scope = query.tenant ?? ALL_TENANTS;
    const end = new Date(to.getTime() + DAY_MS);
    const page: UsagePage = { limit: query.limit ?? DEFAULT_PAGE_ROWS, after: query.cursor ? decodeUsageCursor(query.cursor) : undefined };
    const [queries, ingestion] = await Promise.all([this.queryLogs.dailyUsage(scope, from, end, page), this.tenantUsage.dailyIngestion(scope, from, end, page)]);
    const merged = mergeDays(queries, ingestion);
    const days = merged.slice(0, page.limit);
    // Either source may hold more rows than it gave; the next page starts after the last row this one keeps.
    const more = merged.length > page.limit || queries.length === page.limit || ingestion.length === page.limit;
    return { from: dayOf(from), to: dayOf(to), days, next_cursor: more && days.length > 0 ? encodeUsageCursor(days[days.length - 1]) : null };
  }
}

const encodeUsageCursor = (row: { day: string; tenant: string }) => Buffer.from(`${row.day}|${row.tenant}`).toString('base64url');

function decodeUsageCursor(cursor: string): { day: string; tenant: string } {
  const [day, tenant, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !DAY.test(day ?? '') || !TENANT_NAME.test(tenant ?? '')) throw new InvalidCursorError();
  return { day, tenant };
}

/** One row per tenant and day present in either list, by day then tenant. */
function mergeDays(queries: DailyQueryUsage[], ingestion: DailyIngestion[]): TenantDayUsageDto[] {
  const rows = new Map<string, TenantDayUsageDto>();
  const row = (tenant: string, day: string): TenantDayUsageDto => {
    const key = `${day} ${tenant}`;
    let found = rows.get(key);
    if (!found) {
      found = {
        tenant, day, queries: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost_usd: 0, cache_hits: 0,
        cache_hit_rate: null, documents_ingested: 0, pages_ingested: 0, keys: [],
      };
      rows.set(key, found);
    }
    return found;
  };
  for (const q of queries) {
    Object.assign(row(q.tenant, q.day), {
      queries: q.queries,
      prompt_tokens: q.promptTokens,
      completion_tokens: q.completionTokens,
      total_tokens: q.promptTokens + q.completionTokens,
      cost_usd: q.costUsd,
      cache_hits: q.cacheHits,
      cache_hit_rate: q.queries ? q.cacheHits / q.queries : null,
      keys: q.keys.map((key) => ({
        api_key_id: key.apiKeyId, prefix: key.keyPrefix, name: key.keyName, queries: key.queries, total_tokens: key.totalTokens, cost_usd: key.costUsd,
      })),
    });
  }
  for (const i of ingestion) Object.assign(row(i.tenant, i.day), { documents_ingested: i.documents, pages_ingested: i.pages });
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
}
