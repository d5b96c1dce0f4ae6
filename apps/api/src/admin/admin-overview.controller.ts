import { Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminController } from './admin-controller.decorator';
import { AdminOverviewService } from './admin-overview.service';
import { AdminOverviewDto } from './dto/admin-overview.dto';

@AdminController('v1/admin')
export class AdminOverviewController {
  constructor(private readonly overview: AdminOverviewService) {}

  @Get('overview')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'What the admin dashboard shows',
    description:
      'Dependency health (PostgreSQL with pgvector, Redis, the ingestion queue, workers online, DATA_DIR\'s disk), queue counts by state, ' +
      'documents by status, the most recent failures, and the last hour of ingestion throughput and query latency, tokens ' +
      'and cache hits. Sections whose source is down are null. Requires an admin key (Authorization: Bearer <key>).',
  })
  @ApiOkResponse({ type: AdminOverviewDto })
  get(): Promise<AdminOverviewDto> {
    return this.overview.overview();
  }
}
