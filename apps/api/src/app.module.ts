import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ObservabilityModule } from '@app/observability';
import { RedisModule } from '@app/redis';
import { StorageModule } from '@app/storage';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CollectionsModule } from './collections/collections.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DeleteByFilterModule } from './documents/delete-by-filter/delete-by-filter.module';
import { DocumentsModule } from './documents/documents.module';
import { AppExceptionFilter } from './errors/app-exception.filter';
import { ErrorsModule } from './errors/errors.module';
import { FeedbackModule } from './feedback/feedback.module';
import { HealthModule } from './health/health.module';
import { JobsController } from './jobs/jobs.controller';
import { MetricsModule } from './metrics/metrics.module';
import { OpenAiCompatibleModule } from './openai-compatible/openai-compatible.module';
import { QueryModule } from './query/query.module';
import { RetentionModule } from './retention/retention.module';
import { SearchModule } from './search/search.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot('api'),
        ErrorsModule,
        DatabaseModule,
        RedisModule,
        AuthModule,
        AuditModule,
        StorageModule,
        CollectionsModule,
        DocumentsModule,
        DeleteByFilterModule,
        SearchModule,
        QueryModule,
        ConversationsModule,
        FeedbackModule,
        OpenAiCompatibleModule,
        HealthModule,
        MetricsModule,
        AdminModule,
        RetentionModule,
      ],
      controllers: [JobsController],
      providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }],
    };
  }
}
