import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { DocumentDeletion, QueueModule } from '@app/queue';
import { BlobLifecycle } from '@app/storage';
import { AuditModule } from '../audit/audit.module';
import { DocumentsController } from './documents.controller';
import { DocumentsService } from './documents.service';

@Module({ imports: [QueueModule.forProducer(), EmbeddingsModule.forQuestions(), AuditModule], controllers: [DocumentsController], providers: [DocumentsService, DocumentDeletion, BlobLifecycle] })
export class DocumentsModule {}
