import { Module } from '@nestjs/common';
import { LlmModule } from '@app/llm';
import { RagModule } from '@app/rag';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

@Module({ imports: [RagModule, LlmModule], controllers: [ConversationsController], providers: [ConversationsService] })
export class ConversationsModule {}
