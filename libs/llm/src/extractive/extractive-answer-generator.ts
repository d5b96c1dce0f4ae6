import { AnswerGenerator, AnswerInput, GenerationEvent, NO_ANSWER_TEXT } from '../answer-generator';
import { detectPromptInjection } from '../prompt-injection';
import { DEFAULT_SELECTION, selectAnswerSentences, SelectionOptions } from './sentence-selection';

/**
 * The offline answerer: no model, it quotes the retrieved sentences that best match the question, each
 * followed by its `[n]` citation, one sentence per delta. It never writes a word that is not in the sources
 * (bar the citation markers and the fixed "not found" sentence), so it cannot hallucinate; it also cannot
 * paraphrase or combine facts, which is what a chat model is for.
 */
export class ExtractiveAnswerGenerator implements AnswerGenerator {
  readonly name = 'extractive';
  static readonly MODEL = 'extractive';
  /** Bump the version when selection changes, so cached answers of the old algorithm are not reused. */
  readonly cacheIdentity = 'extractive-v4';

  constructor(private readonly options: SelectionOptions = DEFAULT_SELECTION) {}

  async *generate(input: AnswerInput, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    signal.throwIfAborted();
    // A sentence written to steer a model ("ignore previous instructions…") is never quoted as an answer,
    // however well it matches the question: repeating it would carry the injection to the reader.
    const sentences = selectAnswerSentences(input.question, input.sources, this.options).filter((sentence) => !detectPromptInjection(sentence.text).flagged);
    if (sentences.length === 0) {
      yield { type: 'delta', text: NO_ANSWER_TEXT };
    }
    for (const [i, sentence] of sentences.entries()) {
      signal.throwIfAborted();
      yield { type: 'delta', text: `${i > 0 ? ' ' : ''}${sentence.text} [${sentence.n}]` };
    }
    // No model ran, so no model tokens were spent.
    yield { type: 'end', model: ExtractiveAnswerGenerator.MODEL, usage: { promptTokens: 0, completionTokens: 0 } };
  }
}
