import { Citation, QueryResult } from '@app/rag';
import { toCitationDto } from '../query/dto/query.dto';
import { ChatCompletionResponseDto, ChatCompletionUsageDto } from './dto/chat-completion.dto';

/** What every chunk and the completion of one answer share. */
export interface CompletionIdentity {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

const pages = (citation: Citation) => (citation.pageStart === citation.pageEnd ? `p. ${citation.pageStart}` : `pp. ${citation.pageStart}–${citation.pageEnd}`);

/**
 * The numbered references appended to the answer, so a chat UI that shows only `content` still shows what
 * each `[n]` cites: "\n\nSources:\n[1] Handbook, p. 3". Empty when nothing is cited.
 */
export function referencesText(citations: Citation[]): string {
  if (citations.length === 0) return '';
  return `\n\nSources:\n${citations.map((citation) => `[${citation.n}] ${citation.title}, ${pages(citation)}`).join('\n')}`;
}

export function toChatUsage(result: QueryResult): ChatCompletionUsageDto {
  const { promptTokens, completionTokens, totalTokens } = result.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: totalTokens };
}

export function toChatCompletion(identity: CompletionIdentity, result: QueryResult): ChatCompletionResponseDto {
  return {
    ...identity,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: result.answer + referencesText(result.citations) }, finish_reason: 'stop' }],
    usage: toChatUsage(result),
    citations: result.citations.map(toCitationDto),
    query_id: result.queryId,
  };
}

/** One `chat.completion.chunk` of a streamed answer; `extra` carries the last chunks' `usage` or `citations`. */
export function chatChunk(identity: CompletionIdentity, choice: { delta: Record<string, string>; finish_reason: 'stop' | null } | null, extra: object = {}): string {
  const choices = choice ? [{ index: 0, ...choice }] : [];
  return JSON.stringify({ ...identity, object: 'chat.completion.chunk', choices, ...extra });
}
