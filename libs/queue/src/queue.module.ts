import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { RedisOptions } from 'ioredis';
import { IngestionProducer } from './ingestion.producer';
import { IngestionQueueMonitor } from './ingestion-queue.monitor';
import { DeletionProducer } from './deletion.producer';
import { DELETION_QUEUE, INGESTION_QUEUE } from './queue.constants';

type ConnectionOptions = (config: AppConfig) => RedisOptions & { url: string };

/**
 * Reconnect delay after the n-th failed attempt: quick at first, then every 5 s. BullMQ's own default grows
 * to 20 s, which leaves a system looking down long after Redis is back.
 */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 250, 5_000);

/**
 * The API side: a command issued while Redis is down fails at once instead of waiting in ioredis's offline
 * queue, so an upload answers 503 `queue_unavailable` in milliseconds rather than hanging.
 */
const producerConnection: ConnectionOptions = (config) => ({
  url: config.redisUrl,
  enableOfflineQueue: false,
  retryStrategy: reconnectDelayMs,
});

/**
 * The worker side: BullMQ workers need `maxRetriesPerRequest: null` and the offline queue, so their blocking
 * commands wait out a Redis restart and resume consuming by themselves.
 */
const consumerConnection: ConnectionOptions = (config) => ({
  url: config.redisUrl,
  maxRetriesPerRequest: null,
  retryStrategy: reconnectDelayMs,
});

function queueModule(connection: ConnectionOptions, providers: Provider[]): DynamicModule {
  return {
    module: QueueModule,
    imports: [
      BullModule.forRootAsync({
        inject: [APP_CONFIG],
        useFactory: (config: AppConfig) => ({ connection: connection(config), prefix: config.redisPrefix }),
      }),
      BullModule.registerQueue({ name: INGESTION_QUEUE }, { name: DELETION_QUEUE }),
    ],
    providers,
    exports: [BullModule, ...providers],
  };
}

// One instance per process side: every importer shares the same queue and Redis connection.
let producer: DynamicModule | undefined;
let consumer: DynamicModule | undefined;

/** BullMQ's Redis connection (with the deployment's key prefix) and the ingestion and deletion queues, for either side. */
@Module({})
export class QueueModule {
  /** For the API: adds and inspects jobs, failing fast while Redis is down. */
  static forProducer(): DynamicModule {
    producer ??= queueModule(producerConnection, [IngestionProducer, IngestionQueueMonitor, DeletionProducer]);
    return producer;
  }

  /** For the worker: the queue its processors consume, on a connection that rides out Redis restarts. */
  static forConsumer(): DynamicModule {
    consumer ??= queueModule(consumerConnection, []);
    return consumer;
  }
}
