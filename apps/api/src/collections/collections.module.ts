import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { QueueModule } from '@app/queue';
import { AuditModule } from '../audit/audit.module';
import { CollectionsController } from './collections.controller';
import { CollectionsService } from './collections.service';

@Module({ imports: [EmbeddingsModule.forQuestions(), AuditModule, QueueModule.forProducer()], controllers: [CollectionsController], providers: [CollectionsService] })
export class CollectionsModule {}
