import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Pool } from 'pg';
import { ApiKeysRepository } from './api-keys.repository';
import { AuditLogRepository } from './audit-log.repository';
import { BlobsRepository } from './blobs.repository';
import { ChunksRepository } from './chunks.repository';
import { CollectionsRepository } from './collections.repository';
import { ConversationsRepository } from './conversations.repository';
import { DatabaseClock } from './database-clock';
import { DocumentTransitions } from './document-transitions.repository';
import { DocumentsRepository } from './documents.repository';
import { PagesRepository } from './pages.repository';
import { DeletionJobsRepository } from './deletion-jobs.repository';
import { QueryFeedbackRepository } from './query-feedback.repository';
import { QueryLogsRepository } from './query-logs.repository';
import { TenantUsageRepository } from './tenant-usage.repository';
import { createPool, PG_POOL } from './pg-pool';

const repositories = [
  CollectionsRepository, ConversationsRepository, DocumentsRepository, DocumentTransitions, BlobsRepository, PagesRepository, ChunksRepository,
  QueryLogsRepository, QueryFeedbackRepository, DeletionJobsRepository, ApiKeysRepository, AuditLogRepository, TenantUsageRepository,
  DatabaseClock,
];

/** The PostgreSQL pool and the repositories that own the SQL. Migrations run before the app starts (prepareDatabase). */
@Global()
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [APP_CONFIG],
      useFactory: ({ databaseUrl, databasePool }: AppConfig) =>
        createPool(databaseUrl, {
          max: databasePool.size,
          connectionTimeoutMs: databasePool.waitMs,
          idleTransactionTimeoutMs: databasePool.idleTransactionMs,
          queryTimeoutMs: databasePool.queryTimeoutMs,
        }),
    },
    ...repositories,
  ],
  exports: [PG_POOL, ...repositories],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
