import { Module } from '@nestjs/common';
import { QueueModule } from '@app/queue';
import { AuditModule } from '../audit/audit.module';
import { HealthModule } from '../health/health.module';
import { AdminDocumentsController } from './admin-documents.controller';
import { AdminFeedbackController } from './admin-feedback.controller';
import { AdminOverviewController } from './admin-overview.controller';
import { AdminOverviewService } from './admin-overview.service';
import { AdminUsageController } from './admin-usage.controller';
import { AdminUsageService } from './admin-usage.service';
import { DashboardController } from './dashboard/dashboard.controller';
import { DocumentRetryService } from './document-retry.service';

/** The admin dashboard (`GET /admin`) and its data (`/v1/admin/*`, admin keys only). */
@Module({
  imports: [HealthModule, QueueModule.forProducer(), AuditModule],
  controllers: [DashboardController, AdminOverviewController, AdminUsageController, AdminDocumentsController, AdminFeedbackController],
  providers: [AdminOverviewService, AdminUsageService, DocumentRetryService],
})
export class AdminModule {}
