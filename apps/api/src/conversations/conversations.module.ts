import { Module } from '@nestjs/common';
import { RagModule } from '@app/rag';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

@Module({ imports: [RagModule], controllers: [ConversationsController], providers: [ConversationsService] })
export class ConversationsModule {}
