import { Module } from '@nestjs/common';
import { DeletionJobStates, DeletionProducer, IngestionJobStates, IngestionProducer, QueueModule } from '@app/queue';
import { BlobLifecycle } from '@app/storage';
import { StuckDeletionsReconciler } from './stuck-deletions.reconciler';
import { StuckDocumentsReconciler } from './stuck-documents.reconciler';
import { UnreferencedBlobsCollector } from './unreferenced-blobs.collector';

/** The worker's reconcilers: documents and deletions left without a job, and stored files nothing needs any more. */
@Module({
  imports: [QueueModule.forConsumer()],
  providers: [
    IngestionJobStates,
    IngestionProducer,
    StuckDocumentsReconciler,
    DeletionJobStates,
    DeletionProducer,
    StuckDeletionsReconciler,
    BlobLifecycle,
    UnreferencedBlobsCollector,
  ],
})
export class ReconcilerModule {}
