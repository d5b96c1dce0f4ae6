import type { ChatModelPrice } from '@app/config';
import { ModelUsage } from './model-usage';

/**
 * Cost of one call in USD from a per-million-token price table (input and output; embedding and rerank calls
 * have input only), or null when the model has no price
 * (a local model, an unknown name). Dated model names ("gpt-4o-mini-2024-07-18") fall back to their base name.
 */
export function costUsd(model: string, usage: ModelUsage, prices: Readonly<Record<string, ChatModelPrice>>): number | null {
  const price = prices[model] ?? prices[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
  if (!price) return null;
  const usd = (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
  // Micro-dollars are the column's precision (numeric(12, 6)); more digits are noise.
  return Math.round(usd * 1_000_000) / 1_000_000;
}
