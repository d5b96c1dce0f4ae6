import { AppError } from '@app/errors';
import type { GenerationControls } from '@app/llm';
import { DEFAULT_COLLECTION } from '@app/retrieval';
import { COLLECTION_NAME } from '../documents/dto/upload-document.dto';
import { MAX_HISTORY_TURNS } from '../conversations/follow-up';
import { EarlierTurn } from '../conversations/follow-up-search';
import { MAX_QUERY_CHARS } from '../search/dto/search.dto';
import { ChatCompletionRequestDto, ChatMessageDto, MAX_MESSAGE_CHARS } from './dto/chat-completion.dto';

/** Model ids are the collections: `groundwork:<collection>`, and `groundwork` alone for the default one. */
export const MODEL_PREFIX = 'groundwork';

export class InvalidMessagesError extends AppError {
  constructor(message: string) {
    super('invalid_messages', message, 400);
  }
}

export class UnknownModelError extends AppError {
  constructor(model: string) {
    super('model_not_found', `There is no model "${model}": models are "${MODEL_PREFIX}:<collection>" (GET /v1/models lists them).`, 404, { model });
  }
}

export const modelId = (collection: string) => `${MODEL_PREFIX}:${collection}`;

/** The collection a model id names; UnknownModelError for an id that names none. */
export function collectionOfModel(model: string): string {
  if (model === MODEL_PREFIX) return DEFAULT_COLLECTION;
  const collection = model.startsWith(`${MODEL_PREFIX}:`) ? model.slice(MODEL_PREFIX.length + 1) : '';
  if (!COLLECTION_NAME.test(collection)) throw new UnknownModelError(model);
  return collection;
}

/**
 * A message's text: a string, or the `text` parts of OpenAI's content parts (images and audio are not read); none
 * for null, as an assistant turn that called tools has.
 */
function messageText(message: ChatMessageDto, index: number): string {
  const { content } = message;
  if (content === null || content === undefined) return '';
  const parts = typeof content === 'string' ? [content] : Array.isArray(content) ? content.map((part) => textOfPart(part, index)) : null;
  if (parts === null) throw new InvalidMessagesError(`messages[${index}].content must be a string or an array of content parts.`);
  const text = parts.join('\n');
  if (text.length > MAX_MESSAGE_CHARS) throw new InvalidMessagesError(`messages[${index}].content is longer than ${MAX_MESSAGE_CHARS} characters.`);
  return text;
}

function textOfPart(part: unknown, index: number): string {
  if (typeof part !== 'object' || part === null || typeof (part as { type?: unknown }).type !== 'string') {
    throw new InvalidMessagesError(`messages[${index}].content has a part without a type.`);
  }
  const { type, text } = part as { type: string; text?: unknown };
  if (type !== 'text') return '';
  if (typeof text !== 'string') throw new InvalidMessagesError(`messages[${index}].content has a text part without text.`);
  return text;
}

/** The question a chat completion answers, and the conversation before it. */
export interface ChatConversation {
  /** The last `user` message. */
  question: string;
  /** The turns before it, oldest first: each `user` message with the `assistant` messages that followed it. */
  earlier: EarlierTurn[];
}

/**
 * The question to answer (the last `user` message) and the earlier turns its follow-up is resolved from
 * (FollowUpSearch, as for conversations). System and tool messages are not read. Only the newest
 * MAX_HISTORY_TURNS turns are kept, since no more would be read.
 */
export function conversationOf(messages: ChatMessageDto[]): ChatConversation {
  const texts = messages.map(messageText);
  const last = messages.map((message) => message.role).lastIndexOf('user');
  if (last === -1) throw new InvalidMessagesError('messages must contain a user message: the last one is the question.');
  const question = texts[last].trim();
  if (question === '') throw new InvalidMessagesError('The last user message is empty.');
  if (question.length > MAX_QUERY_CHARS) throw new InvalidMessagesError(`The question (the last user message) is longer than ${MAX_QUERY_CHARS} characters.`);
  const earlier: EarlierTurn[] = [];
  for (let i = 0; i < last; i++) {
    const text = texts[i].trim();
    if (messages[i].role === 'user' && text !== '') earlier.push({ question: text, searchQuery: text.slice(0, MAX_QUERY_CHARS), answer: '' });
    else if (messages[i].role === 'assistant' && earlier.length > 0) earlier[earlier.length - 1].answer += (earlier[earlier.length - 1].answer ? '\n' : '') + text;
  }
  return { question, earlier: earlier.slice(-MAX_HISTORY_TURNS) };
}

/**
 * OpenAI's sampling fields as generation controls. The longest answer is lowered to `maxAnswerTokens`
 * (LLM_MAX_ANSWER_TOKENS) rather than refused: OpenAI clients often send a model's own maximum.
 */
export function chatGenerationControls(
  body: Pick<ChatCompletionRequestDto, 'temperature' | 'max_tokens' | 'max_completion_tokens'>,
  maxAnswerTokens: number,
): GenerationControls | undefined {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (body.temperature === undefined && maxTokens === undefined) return undefined;
  return { temperature: body.temperature, maxTokens: maxTokens === undefined ? undefined : Math.min(maxTokens, maxAnswerTokens) };
}
