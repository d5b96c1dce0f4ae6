import type { ContextTokenSettings } from '@app/config';

/**
 * Context windows (prompt and answer together, in tokens) of common chat models, by name prefix. A server
 * refuses (400) a request whose prompt plus `max_tokens` exceeds its model's window, so the answer prompt is
 * cut to fit the window of the model it goes to. Names are matched lower-cased, without an organisation
 * prefix ("meta-llama/Llama-3.1-8B-Instruct" is "llama-3.1-8b-instruct"), the longest prefix winning.
 * Sources: the providers' model pages. Local servers may run a model with a smaller window than it was
 * trained for (Ollama's num_ctx, vLLM's --max-model-len): set CHAT_CONTEXT_TOKENS for those.
 */
const KNOWN_CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  'gpt-3.5-turbo': 16_385,
  'gpt-4': 8_192,
  'gpt-4-32k': 32_768,
  'gpt-4-turbo': 128_000,
  'gpt-4o': 128_000,
  'chatgpt-4o': 128_000,
  'gpt-4.1': 1_047_576,
  // GPT-5's window is 400,000 tokens, of which at most 272,000 may be input.
  'gpt-5': 272_000,
  'o1': 200_000,
  'o1-mini': 128_000,
  'o3': 200_000,
  'o4-mini': 200_000,
  'claude': 200_000,
  'llama3': 8_192,
  'llama-3': 8_192,
  'meta-llama-3': 8_192,
  'llama3.1': 131_072,
  'llama-3.1': 131_072,
  'meta-llama-3.1': 131_072,
  'llama3.2': 131_072,
  'llama-3.2': 131_072,
  'llama3.3': 131_072,
  'llama-3.3': 131_072,
  'mistral': 32_768,
  'mistral-large': 131_072,
  'mistral-nemo': 131_072,
  'mixtral': 32_768,
  'qwen2.5': 32_768,
  'qwen3': 32_768,
  'gemma2': 8_192,
  'gemma-2': 8_192,
  'gemma3': 131_072,
  'gemma-3': 131_072,
  'deepseek': 65_536,
  'phi3': 4_096,
  'phi-3': 4_096,
};

/** The window assumed for a model none of the above names: small enough for most models served locally. */
export const FALLBACK_CONTEXT_TOKENS = 8_192;

/**
 * The context window of `model`: CHAT_CONTEXT_TOKENS when it is one number, else its entry for the model, else
 * the table above, else FALLBACK_CONTEXT_TOKENS.
 */
export function contextWindowOf(model: string, settings: ContextTokenSettings): number {
  if (settings.all !== null) return settings.all;
  const configured = settings.models[model];
  if (configured !== undefined) return configured;
  const name = model.toLowerCase().slice(model.lastIndexOf('/') + 1);
  let best: string | null = null;
  for (const prefix of Object.keys(KNOWN_CONTEXT_WINDOWS)) {
    if (name.startsWith(prefix) && (best === null || prefix.length > best.length)) best = prefix;
  }
  return best === null ? FALLBACK_CONTEXT_TOKENS : KNOWN_CONTEXT_WINDOWS[best];
}
