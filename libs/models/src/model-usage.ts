/** The three kinds of call the gateway makes; the `kind` label of the model metrics. */
export type ModelKind = 'chat' | 'embedding' | 'rerank';

/** Token counts of one call: as the provider reported them, or counted with our tokenizer when it reported none. */
export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * A token count a server reported, when it is one (a whole number, not negative); null for anything else, which
 * our tokenizer then counts instead: a string reached a client ("abcnull"), a negative count zeroed a tenant's
 * budget charge, and "5" made the metric throw.
 */
export function reportedTokenCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
