import { countTokens, countTokensWithin } from '@app/chunking';
import { AppError } from '@app/errors';
import { AnswerSource, ChatMessage } from '@app/llm';
import { ANSWER_SYSTEM_PROMPT, answerUserMessage, sourceBlock } from './prompt-builder';

/**
 * The model's context window an answer prompt must fit (not the tenant's daily TokenBudget): the prompt plus
 * the longest answer allowed (`max_tokens`) may not exceed `contextTokens`, or the server refuses the request.
 */
export interface PromptWindow {
  contextTokens: number;
  answerTokens: number;
}

/** The prompt as sent: the sources that fit (the best first), how many did not, and its size. */
export interface FittedPrompt<S extends AnswerSource> {
  messages: ChatMessage[];
  /** The sources in the prompt, in the order given; the first may be cut short when alone it did not fit. */
  sources: S[];
  /** Sources given that are not in the prompt: the window was spent before them. */
  leftOut: number;
  /** The prompt's tokens as our tokenizer counts them (cl100k_base); 0 when no window was given (nothing counted). */
  promptTokens: number;
}

/** Tokens each chat message costs besides its text (role and delimiters; OpenAI counts 3-4), and the reply's priming. */
const MESSAGE_OVERHEAD_TOKENS = 8;
/**
 * Share of the window left unused. The prompt is counted with cl100k_base; the tokenizers of other models
 * (Llama, Mistral, Qwen) count up to about a tenth more on ordinary text, and their servers count with their own.
 */
const TOKENIZER_MARGIN = 0.1;
/** A best source cut to fewer tokens than this is no source: the question is refused instead. */
const MIN_CUT_SOURCE_TOKENS = 32;

export class QuestionTooLongError extends AppError {
  constructor(contextTokens: number) {
    super(
      'question_too_long',
      `The question leaves no room for sources in the model's context window (${contextTokens} tokens with the answer); ask a shorter question.`,
      400,
      { context_tokens: contextTokens },
    );
  }
}

/**
 * Builds the answer prompt from `sources` in order (best first), adding each while the window has room, so a
 * large top_k or long expanded sources never make the server refuse the prompt. When even the best source
 * does not fit alone, it is cut to the room left. Counting stops where the room ends: a source is never
 * tokenised further than the room it could take. Without a window (a backend that sends no prompt) every
 * source goes in and nothing is counted.
 */
export function fitAnswerPrompt<S extends AnswerSource>(question: string, sources: readonly S[], window: PromptWindow | null): FittedPrompt<S> {
  if (window === null) {
    return { messages: messagesOf(question, sources.map(sourceBlock)), sources: [...sources], leftOut: 0, promptTokens: 0 };
  }
  const frame = countTokens(ANSWER_SYSTEM_PROMPT) + countTokens(answerUserMessage(question, [])) + 3 * MESSAGE_OVERHEAD_TOKENS;
  const usable = Math.floor(window.contextTokens * (1 - TOKENIZER_MARGIN)) - window.answerTokens;
  let room = usable - frame;
  const included: S[] = [];
  const blocks: string[] = [];
  for (const source of sources) {
    const block = sourceBlock(source);
    // The block's line break in the message is one more token at most.
    const cost = countTokensWithin(block, room - 1);
    if (cost.fits) {
      included.push(source);
      blocks.push(block);
      room -= cost.tokens + 1;
      continue;
    }
    if (included.length === 0) {
      const cut = cutToFit(source, room - 1);
      if (cut) {
        included.push(cut.source);
        blocks.push(cut.block);
        room -= cut.tokens + 1;
      }
    }
    break;
  }
  if (included.length === 0 && sources.length > 0) throw new QuestionTooLongError(window.contextTokens);
  return { messages: messagesOf(question, blocks), sources: included, leftOut: sources.length - included.length, promptTokens: usable - room };
}

function messagesOf(question: string, blocks: string[]): ChatMessage[] {
  return [
    { role: 'system', content: ANSWER_SYSTEM_PROMPT },
    { role: 'user', content: answerUserMessage(question, blocks) },
  ];
}

/**
 * The source's text cut so that its block fits `room` tokens, or null when less than MIN_CUT_SOURCE_TOKENS of
 * it would. The block adds tags and defused look-alikes to the text, so the cut is checked on the block and
 * tightened by the excess (twice at most).
 */
function cutToFit<S extends AnswerSource>(source: S, room: number): { source: S; block: string; tokens: number } | null {
  let textRoom = room - countTokens(sourceBlock({ ...source, text: '' }));
  for (let attempt = 0; attempt < 3 && textRoom >= MIN_CUT_SOURCE_TOKENS; attempt++) {
    const { end } = countTokensWithin(source.text, textRoom);
    const cut = { ...source, text: source.text.slice(0, end) };
    const block = sourceBlock(cut);
    const cost = countTokensWithin(block, room);
    if (cost.fits) return { source: cut, block, tokens: cost.tokens };
    textRoom -= Math.max(8, Math.ceil(textRoom * 0.05));
  }
  return null;
}
