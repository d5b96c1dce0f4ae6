import { AppError } from '@app/errors';
import { DEFAULT_COLLECTION } from '@app/retrieval';
import { COLLECTION_NAME } from '../documents/dto/upload-document.dto';
import { MAX_QUERY_CHARS } from '../search/dto/search.dto';
import { ChatMessageDto, MAX_MESSAGE_CHARS } from './dto/chat-completion.dto';

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

/** A message's text: a string, or the `text` parts of OpenAI's content parts (images and audio are not read). */
function messageText(message: ChatMessageDto, index: number): string {
  const { content } = message;
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

/**
 * The question to answer: the last `user` message. Earlier turns are not searched: a follow-up that leans on
 * them ("and the second one?") should be asked standalone until conversations rewrite it (see README).
 */
export function questionOf(messages: ChatMessageDto[]): string {
  const texts = messages.map(messageText);
  const last = messages.map((message) => message.role).lastIndexOf('user');
  if (last === -1) throw new InvalidMessagesError('messages must contain a user message: the last one is the question.');
  const question = texts[last].trim();
  if (question === '') throw new InvalidMessagesError('The last user message is empty.');
  if (question.length > MAX_QUERY_CHARS) throw new InvalidMessagesError(`The question (the last user message) is longer than ${MAX_QUERY_CHARS} characters.`);
  return question;
}
