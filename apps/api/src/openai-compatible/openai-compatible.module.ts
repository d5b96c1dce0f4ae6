import { Module } from '@nestjs/common';
import { RagModule } from '@app/rag';
import { ConversationsModule } from '../conversations/conversations.module';
import { ChatCompletionsController } from './chat-completions.controller';

@Module({ imports: [RagModule, ConversationsModule], controllers: [ChatCompletionsController] })
export class OpenAiCompatibleModule {}
