import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { QueueModule } from '@app/queue';
import { BlobCheckouts, BlobLifecycle } from '@app/storage';
import { DocumentIngestionService } from './document-ingestion.service';
import { IngestionProcessor } from './ingestion.processor';

@Module({
  imports: [QueueModule.forConsumer(), EmbeddingsModule.forDocuments()],
  providers: [DocumentIngestionService, IngestionProcessor, BlobCheckouts, BlobLifecycle],
})
export class IngestionModule {}
