import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { QUESTION_REWRITER, QuestionRewriter } from '@app/llm';
import { LOGGER } from '@app/observability';
import { recentHistory, standaloneQuestion } from './follow-up';

/** An earlier turn of a conversation: what was asked, what it was searched as, and the answer. */
export interface EarlierTurn {
  question: string;
  searchQuery: string;
  answer: string;
}

/**
 * What a message of a conversation is searched as, for the conversations API and the OpenAI-compatible chat
 * endpoint alike: the message itself first in a conversation; after that, with a chat model, the model's
 * standalone rewrite from the recent turns (CONVERSATION_HISTORY_TOKENS, newest kept), and offline, or when the
 * model fails or gives nothing, the documented rule (standaloneQuestion).
 */
@Injectable()
export class FollowUpSearch {
  constructor(
    @Inject(QUESTION_REWRITER) private readonly rewriter: QuestionRewriter | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Whether earlier turns beyond the last are read (a chat model rewrites from several). */
  get readsHistory(): boolean {
    return this.rewriter !== null;
  }

  /** `history`: the earlier turns, oldest first; `signal`: the client left, so the rewrite stops (a model streaming without end held it). */
  async searchQuestion(question: string, history: readonly EarlierTurn[], signal: AbortSignal): Promise<string> {
    const previous = history.at(-1);
    if (!previous) return question;
    if (this.rewriter) {
      try {
        const recent = recentHistory(history.map((turn) => ({ question: turn.question, answer: turn.answer })), this.config.answers.conversationHistoryTokens);
        const rewritten = await this.rewriter.standalone(recent, question, signal);
        if (rewritten) return rewritten;
      } catch (error) {
        signal.throwIfAborted();
        // A follow-up is still answered: searched by the offline rule, as without a model.
        this.logger.warn({ err: error }, 'follow-up rewrite failed; the offline rule is used');
      }
    }
    return standaloneQuestion(question, previous.searchQuery);
  }
}
