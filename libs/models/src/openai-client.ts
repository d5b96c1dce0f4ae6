import OpenAI from 'openai';

export interface ModelServer {
  apiKey: string;
  /** Any OpenAI-compatible server (vLLM, Ollama, TEI, llama.cpp, …); default OpenAI. */
  baseURL?: string | null;
  /** Per request. */
  timeoutMs: number;
}

/**
 * The one place an OpenAI SDK client is made. Its own retries are off: the gateway retries itself, so that it
 * can honour Retry-After with jitter, consult circuit breakers, fall back, and stop at a streamed first token.
 */
export function createOpenAIClient(server: ModelServer): OpenAI {
  return new OpenAI({ apiKey: server.apiKey, baseURL: server.baseURL ?? undefined, timeout: server.timeoutMs, maxRetries: 0 });
}
