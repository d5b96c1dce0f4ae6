import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { LlmModule } from '@app/llm';
import { RetrievalModule } from '@app/retrieval';
import { AnswerCache } from './answer-cache';
import { ContextExpander } from './context-expansion';
import { QueryRecorder } from './query-recorder';
import { QueryService } from './query.service';
import { TokenBudget } from './token-budget';

/** Grounded answers: retrieval + answer generation + answer cache + query log. */
@Module({ imports: [RetrievalModule, EmbeddingsModule.forQuestions(), LlmModule], providers: [QueryService, AnswerCache, QueryRecorder, TokenBudget, ContextExpander], exports: [QueryService, QueryRecorder] })
export class RagModule {}
