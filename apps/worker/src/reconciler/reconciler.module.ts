import { Module } from '@nestjs/common';
import { IngestionJobStates, IngestionProducer, QueueModule } from '@app/queue';
import { BlobLifecycle } from '@app/storage';
import { StuckDocumentsReconciler } from './stuck-documents.reconciler';
import { UnreferencedBlobsCollector } from './unreferenced-blobs.collector';

/** The worker's reconcilers: documents left without a job, and stored files nothing needs any more. */
@Module({
  imports: [QueueModule.forConsumer()],
  providers: [IngestionJobStates, IngestionProducer, StuckDocumentsReconciler, BlobLifecycle, UnreferencedBlobsCollector],
})
export class ReconcilerModule {}
