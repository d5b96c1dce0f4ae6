import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ANSWER_GENERATOR, AnswerGenerator } from './answer-generator';
import { ExtractiveAnswerGenerator } from './extractive/extractive-answer-generator';
import { OpenAIAnswerGenerator } from './openai/openai-answer-generator';
import { ChatQuestionRewriter, QUESTION_REWRITER, QuestionRewriter } from './openai/question-rewriter';

/** Builds the answer backend LLM_PROVIDER names. */
export function createAnswerGenerator(config: AppConfig): AnswerGenerator {
  switch (config.llm.provider) {
    case 'extractive':
      return new ExtractiveAnswerGenerator();
    case 'openai':
      return new OpenAIAnswerGenerator({
        // loadConfig refuses LLM_PROVIDER=openai without a key.
        apiKey: config.openai.apiKey!,
        baseURL: config.openai.baseUrl,
        model: config.llm.chatModel,
        fallbackModel: config.llm.fallbackModel,
        timeoutMs: config.llm.timeoutMs,
        maxRetries: config.llm.maxRetries,
        maxAnswerTokens: config.llm.maxAnswerTokens,
        prices: config.llm.prices,
      });
    default: {
      const unknown: never = config.llm.provider;
      throw new Error(`Unknown LLM provider "${String(unknown)}"`);
    }
  }
}

/** The chat model that rewrites conversation follow-ups, when one is configured; null offline. */
export function createQuestionRewriter(config: AppConfig): QuestionRewriter | null {
  if (config.llm.provider !== 'openai') return null;
  return new ChatQuestionRewriter({ apiKey: config.openai.apiKey!, baseURL: config.openai.baseUrl, model: config.llm.chatModel, timeoutMs: config.llm.timeoutMs, prices: config.llm.prices });
}

/**
 * Provides the configured AnswerGenerator under ANSWER_GENERATOR (one per process, so circuit breakers are
 * shared), and the QuestionRewriter (or null) under QUESTION_REWRITER.
 */
@Module({
  providers: [
    { provide: ANSWER_GENERATOR, inject: [APP_CONFIG], useFactory: createAnswerGenerator },
    { provide: QUESTION_REWRITER, inject: [APP_CONFIG], useFactory: createQuestionRewriter },
  ],
  exports: [ANSWER_GENERATOR, QUESTION_REWRITER],
})
export class LlmModule {}
