import { Module } from '@nestjs/common';
import { QueueModule } from '@app/queue';
import { HealthModule } from '../health/health.module';
import { AdminDocumentsController } from './admin-documents.controller';
import { AdminKeyBootstrap } from './admin-key.bootstrap';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminOverviewController } from './admin-overview.controller';
import { AdminOverviewService } from './admin-overview.service';
import { DashboardController } from './dashboard/dashboard.controller';
import { DocumentRetryService } from './document-retry.service';

/** The admin dashboard (`GET /admin`), its data (`/v1/admin/*`) and the admin key that protects it. */
@Module({
  imports: [HealthModule, QueueModule.forProducer()],
  controllers: [DashboardController, AdminOverviewController, AdminDocumentsController],
  providers: [AdminKeyGuard, AdminKeyBootstrap, AdminOverviewService, DocumentRetryService],
})
export class AdminModule {}
