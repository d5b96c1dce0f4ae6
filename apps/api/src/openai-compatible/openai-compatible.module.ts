import { Module } from '@nestjs/common';
import { RagModule } from '@app/rag';
import { ChatCompletionsController } from './chat-completions.controller';

@Module({ imports: [RagModule], controllers: [ChatCompletionsController] })
export class OpenAiCompatibleModule {}
