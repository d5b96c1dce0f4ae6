import { MiddlewareConsumer, Module, NestModule, OnModuleInit } from '@nestjs/common';
import { apiRegistry, enableProcessMetrics } from '@app/observability';
import { QueueModule } from '@app/queue';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { ScrapeTimeMetrics } from './scrape-time-metrics';

/** `GET /metrics`, the HTTP request histogram behind it, and the process metrics (CPU, memory, event loop). */
@Module({
  imports: [QueueModule.forProducer()],
  controllers: [MetricsController],
  providers: [ScrapeTimeMetrics],
})
export class MetricsModule implements NestModule, OnModuleInit {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }

  onModuleInit(): void {
    enableProcessMetrics(apiRegistry);
  }
}
