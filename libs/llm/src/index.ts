export * from './answer-generator';
export { CircuitBreaker, CircuitBreakerOptions, CircuitBreakers, CircuitState, DEFAULT_CIRCUIT_BREAKER, costUsd, LlmStreamInterruptedError, LlmUnavailableError } from '@app/models';
export { ExtractiveAnswerGenerator } from './extractive/extractive-answer-generator';
export { DEFAULT_SELECTION, selectAnswerSentences, SelectedSentence, SelectionOptions } from './extractive/sentence-selection';
export { MAX_SPLIT_CHARS, Sentence, splitSentences } from './extractive/sentences';
export { contentTerms, stem } from './extractive/terms';
export * from './llm.module';
export { OpenAIAnswerGenerator, OpenAIAnswerGeneratorOptions } from './openai/openai-answer-generator';
export * from './prompt-injection';
