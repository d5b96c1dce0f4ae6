import { countTokens } from '@app/chunking';

export interface BatchLimits {
  maxInputs: number;
  maxTokens: number;
}

/** A run of consecutive inputs sent in one request; `start` is the position of the first in the caller's list. */
export interface EmbeddingBatch {
  start: number;
  texts: string[];
}

/**
 * Groups consecutive texts into batches within both limits (count and summed tokens). A single text over the
 * token budget goes alone: the provider will judge it, and we report what it says.
 */
export function planBatches(texts: readonly string[], limits: BatchLimits): EmbeddingBatch[] {
  const batches: EmbeddingBatch[] = [];
  let current: EmbeddingBatch | null = null;
  let tokens = 0;
  texts.forEach((text, index) => {
    const cost = countTokens(text);
    if (current && (current.texts.length >= limits.maxInputs || tokens + cost > limits.maxTokens)) {
      batches.push(current);
      current = null;
    }
    if (!current) {
      current = { start: index, texts: [] };
      tokens = 0;
    }
    current.texts.push(text);
    tokens += cost;
  });
  if (current) batches.push(current);
  return batches;
}
