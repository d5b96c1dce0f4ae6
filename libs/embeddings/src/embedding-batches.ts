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
 *
 * Texts are tokenised only when the budget could be reached: every token is at least one UTF-8 byte, so while
 * a batch's bytes stay within `maxTokens` its tokens do too. Ingestion's batches (64 chunks of 500 tokens
 * against a budget of 250,000) never get there, and the chunker has already counted each chunk's tokens once;
 * counting them again was about 0.15 ms per embedded chunk of the worker's CPU. The batches are the same as when
 * every text was counted: the exact counts decide whenever the bound does not.
 */
export function planBatches(texts: readonly string[], limits: BatchLimits): EmbeddingBatch[] {
  const batches: EmbeddingBatch[] = [];
  let current: EmbeddingBatch | null = null;
  // The current batch's bytes (an upper bound of its tokens), and its exact tokens once they were needed.
  let bytes = 0;
  let tokens: number | null = null;
  texts.forEach((text, index) => {
    const size = Buffer.byteLength(text);
    let cost: number | null = null;
    if (current && current.texts.length < limits.maxInputs && bytes + size > limits.maxTokens) {
      tokens ??= current.texts.reduce((sum, each) => sum + countTokens(each), 0);
      cost = countTokens(text);
    }
    if (current && (current.texts.length >= limits.maxInputs || (tokens !== null && cost !== null && tokens + cost > limits.maxTokens))) {
      batches.push(current);
      current = null;
    }
    if (!current) {
      current = { start: index, texts: [] };
      bytes = 0;
      tokens = null;
    }
    current.texts.push(text);
    bytes += size;
    // Once exact, a batch stays exact: its bytes are past the budget, so every later text of it is counted above
    // (a text that starts a batch leaves it inexact, and is never counted here).
    if (tokens !== null && cost !== null) tokens += cost;
  });
  if (current) batches.push(current);
  return batches;
}
