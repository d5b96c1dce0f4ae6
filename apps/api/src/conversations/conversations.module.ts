import { Module } from '@nestjs/common';
import { LlmModule } from '@app/llm';
import { RagModule } from '@app/rag';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { FollowUpSearch } from './follow-up-search';

@Module({ imports: [RagModule, LlmModule], controllers: [ConversationsController], providers: [ConversationsService, FollowUpSearch], exports: [FollowUpSearch] })
export class ConversationsModule {}
