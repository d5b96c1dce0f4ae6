import { Module } from '@nestjs/common';
import { QueueModule } from '@app/queue';
import { BlobLifecycle } from '@app/storage';
import { DeletionProcessor } from './deletion.processor';
import { DeletionRunService } from './deletion-run.service';

/** Background deletions of collections and of documents by metadata. */
@Module({
  imports: [QueueModule.forConsumer()],
  providers: [DeletionRunService, DeletionProcessor, BlobLifecycle],
})
export class DeletionModule {}
