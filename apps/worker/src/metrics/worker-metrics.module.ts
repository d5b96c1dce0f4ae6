import { Module } from '@nestjs/common';
import { WorkerMetricsServer } from './worker-metrics.server';

/** The worker's internal metrics endpoint on WORKER_METRICS_PORT. */
@Module({ providers: [WorkerMetricsServer], exports: [WorkerMetricsServer] })
export class WorkerMetricsModule {}
