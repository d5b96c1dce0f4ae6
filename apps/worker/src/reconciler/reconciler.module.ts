import { Module } from '@nestjs/common';
import { DeletionJobStates, DeletionProducer, DocumentDeletion, IngestionJobStates, IngestionProducer, QueueModule } from '@app/queue';
import { BlobLifecycle } from '@app/storage';
import { AskedDeletionsReconciler } from './asked-deletions.reconciler';
import { StuckDeletionsReconciler } from './stuck-deletions.reconciler';
import { StuckDocumentsReconciler } from './stuck-documents.reconciler';
import { UnreferencedBlobsCollector } from './unreferenced-blobs.collector';

/**
 * The worker's reconcilers: documents and deletions left without a job, document deletions asked for and not
 * carried out, and stored files nothing needs any more.
 */
@Module({
  imports: [QueueModule.forConsumer()],
  providers: [
    IngestionJobStates,
    IngestionProducer,
    StuckDocumentsReconciler,
    DeletionJobStates,
    DeletionProducer,
    StuckDeletionsReconciler,
    DocumentDeletion,
    AskedDeletionsReconciler,
    BlobLifecycle,
    UnreferencedBlobsCollector,
  ],
})
export class ReconcilerModule {}
