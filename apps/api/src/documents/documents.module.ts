import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { QueueModule } from '@app/queue';
import { DocumentsController } from './documents.controller';
import { DocumentsService } from './documents.service';

@Module({ imports: [QueueModule.forProducer(), EmbeddingsModule], controllers: [DocumentsController], providers: [DocumentsService] })
export class DocumentsModule {}
