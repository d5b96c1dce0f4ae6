import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { RedisOptions } from 'ioredis';
import { IngestionProducer } from './ingestion.producer';
import { IngestionQueueMonitor } from './ingestion-queue.monitor';
import { DeletionProducer } from './deletion.producer';
import { QUEUE_CONNECTION, QueueConnection } from './queue-connection';
import { DELETION_QUEUE, INGESTION_QUEUE } from './queue.constants';
import { WorkerDrain } from './worker-drain';

/**
 * Reconnect delay after the n-th failed attempt: quick at first, then every 5 s. BullMQ's own default grows
 * to 20 s, which leaves a system looking down long after Redis is back.
 */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 250, 5_000);

/**
 * The API side: a command issued while Redis is down fails at once instead of waiting in ioredis's offline
 * queue, so an upload answers 503 `queue_unavailable` in milliseconds rather than hanging.
 */
const producerConnection: RedisOptions = {
  enableOfflineQueue: false,
  retryStrategy: reconnectDelayMs,
};

/**
 * The worker side: BullMQ workers need `maxRetriesPerRequest: null` and the offline queue, so their blocking
 * commands wait out a Redis restart and resume consuming by themselves.
 */
const consumerConnection: RedisOptions = {
  maxRetriesPerRequest: null,
  retryStrategy: reconnectDelayMs,
};

/**
 * Owns the process's one BullMQ connection: BullMQ does not close a connection it was given, so the queues and
 * workers close first (workers drain before shutdown) and the connection is dropped after them.
 */
@Module({})
class QueueConnectionModule implements OnApplicationShutdown {
  constructor(@Inject(QUEUE_CONNECTION) private readonly connection: QueueConnection) {}

  onApplicationShutdown(): void {
    this.connection.disconnect();
  }
}

function queueModule(options: RedisOptions, providers: Provider[]): DynamicModule {
  const connection: DynamicModule = {
    module: QueueConnectionModule,
    providers: [
      {
        provide: QUEUE_CONNECTION,
        inject: [APP_CONFIG],
        useFactory: (config: AppConfig) => {
          const client = new QueueConnection(config.redisUrl, options);
          // BullMQ listens while a queue or worker is open; a failed command reaches its caller either way.
          client.on('error', () => undefined);
          return client;
        },
      },
    ],
    exports: [QUEUE_CONNECTION],
  };
  return {
    module: QueueModule,
    imports: [
      connection,
      BullModule.forRootAsync({
        imports: [connection],
        inject: [APP_CONFIG, QUEUE_CONNECTION],
        useFactory: (config: AppConfig, client: QueueConnection) => ({ connection: client, prefix: config.redisPrefix }),
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
    consumer ??= queueModule(consumerConnection, [WorkerDrain]);
    return consumer;
  }
}
