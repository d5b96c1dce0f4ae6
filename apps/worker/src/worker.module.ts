import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ObservabilityModule } from '@app/observability';
import { StorageModule } from '@app/storage';
import { DeletionModule } from './deletion/deletion.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { WorkerMetricsModule } from './metrics/worker-metrics.module';
import { ReconcilerModule } from './reconciler/reconciler.module';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot('worker'), DatabaseModule, StorageModule, IngestionModule, DeletionModule, ReconcilerModule, WorkerMetricsModule],
    };
  }
}
