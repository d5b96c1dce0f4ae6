import { Get, Header, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminController } from './admin-controller.decorator';
import { AdminUsageService } from './admin-usage.service';
import { AdminUsageQueryDto } from './dto/admin-usage-query.dto';
import { AdminUsageDto } from './dto/admin-usage.dto';

@AdminController('v1/admin')
export class AdminUsageController {
  constructor(private readonly usage: AdminUsageService) {}

  @Get('usage')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Usage per tenant and UTC day',
    description:
      'Queries, tokens, cost and cache hit rate from the query log (kept QUERY_LOG_RETENTION_DAYS), and documents and pages ' +
      'ingested (documents that became ready that day and still exist). From `from` to `to` inclusive, at most 366 days; ' +
      '`limit` rows (tenant and day) a page, 1,000 by default, the next page after `cursor`.',
  })
  @ApiOkResponse({ type: AdminUsageDto })
  @ApiBadRequestResponse({
    description: '`invalid_date_range`: a day that does not exist, from after to, or more than 366 days; `invalid_cursor`; `validation_failed`',
  })
  get(@Query() query: AdminUsageQueryDto): Promise<AdminUsageDto> {
    return this.usage.usage(query);
  }
}
