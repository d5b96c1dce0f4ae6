import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { QueueModule } from '@app/queue';
import { DocumentIngestionService } from './document-ingestion.service';
import { IngestionProcessor } from './ingestion.processor';

@Module({ imports: [QueueModule.forConsumer(), EmbeddingsModule], providers: [DocumentIngestionService, IngestionProcessor] })
export class IngestionModule {}
