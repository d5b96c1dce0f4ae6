import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { apiRegistry, renderMetrics } from '@app/observability';
import { Response } from 'express';
import { Public, RequireRole } from '../auth/auth.decorators';
import { ScrapeTimeMetrics } from './scrape-time-metrics';

@ApiTags('metrics')
// Open for an internal scraper unless METRICS_REQUIRE_AUTH=true; then an admin key (the figures span all tenants).
@Public((config) => !config.security.metricsRequireAuth)
@RequireRole('admin')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly scrapeTime: ScrapeTimeMetrics) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics of this API process (text exposition format); see the README for each metric' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', schema: { type: 'string' } })
  async metrics(@Res() res: Response): Promise<void> {
    await this.scrapeTime.refresh();
    const { contentType, body } = await renderMetrics(apiRegistry);
    res.type(contentType).send(body);
  }
}
