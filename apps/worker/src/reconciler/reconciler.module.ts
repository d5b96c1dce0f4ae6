import { Module } from '@nestjs/common';
import { IngestionJobStates, IngestionProducer, QueueModule } from '@app/queue';
import { StuckDocumentsReconciler } from './stuck-documents.reconciler';

/** The worker's reconciler of documents left without a job. */
@Module({ imports: [QueueModule.forConsumer()], providers: [IngestionJobStates, IngestionProducer, StuckDocumentsReconciler] })
export class ReconcilerModule {}
