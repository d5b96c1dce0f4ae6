import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { IngestionProducer } from './ingestion.producer';
import { INGESTION_QUEUE } from './queue.constants';

/** BullMQ's Redis connection (with the deployment's key prefix) and the ingestion queue with its producer. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: { url: config.redisUrl, maxRetriesPerRequest: null },
        prefix: config.redisPrefix,
      }),
    }),
    BullModule.registerQueue({ name: INGESTION_QUEUE }),
  ],
  providers: [IngestionProducer],
  exports: [BullModule, IngestionProducer],
})
export class QueueModule {}
