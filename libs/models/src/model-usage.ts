/** The three kinds of call the gateway makes; the `kind` label of the model metrics. */
export type ModelKind = 'chat' | 'embedding' | 'rerank';

/** Token counts of one call: as the provider reported them, or counted with our tokenizer when it reported none. */
export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
