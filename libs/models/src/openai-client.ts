import OpenAI from 'openai';
import { boundedFetch, ResponseLimit } from './bounded-fetch';

export interface ModelServer {
  apiKey: string;
  /** Any OpenAI-compatible server (vLLM, Ollama, TEI, llama.cpp, …); default OpenAI. */
  baseURL?: string | null;
  /** Per request. */
  timeoutMs: number;
  /** How much of a response is read before it fails as too large: the largest a real one of this kind can be. */
  responseLimit: ResponseLimit;
}

/**
 * The one place an OpenAI SDK client is made. Its own retries are off: the gateway retries itself, so that it
 * can honour Retry-After with jitter, consult circuit breakers, fall back, and stop at a streamed first token.
 * Its `fetch` bounds what a response body may make us hold (boundedFetch).
 */
export function createOpenAIClient(server: ModelServer): OpenAI {
  return new OpenAI({
    apiKey: server.apiKey,
    baseURL: server.baseURL ?? undefined,
    timeout: server.timeoutMs,
    maxRetries: 0,
    fetch: boundedFetch(server.responseLimit),
  });
}
