import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { Public } from '../../auth/auth.decorators';
import { buildDashboardPage } from './dashboard.page';

/**
 * Serves the dashboard page. The page itself holds no data, so it needs no key; it asks for the admin key
 * and sends it with every call to /v1/admin/*.
 */
@ApiTags('admin')
@Public()
@Controller('admin')
export class DashboardController {
  private readonly page = buildDashboardPage();

  @Get()
  @ApiOperation({ summary: 'The admin health dashboard (HTML), fed by GET /v1/admin/overview' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The dashboard page' })
  show(@Res() res: Response): void {
    res
      .status(200)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': this.page.contentSecurityPolicy,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      })
      .send(this.page.html);
  }
}
