import { countTokens } from '@app/chunking';
import { EmbeddingProvider, EmbedOptions } from './embedding-provider';

/**
 * The longest prefix of `text` with at most `maxTokens` tokens, cut at whitespace when there is some in the
 * last tenth. Every token is at least one UTF-8 byte, so text no longer than `maxTokens` bytes is returned
 * as it is without tokenising it: chunk-sized inputs never pay for this check.
 */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (Buffer.byteLength(text) <= maxTokens || countTokens(text) <= maxTokens) return text;
  // Binary search over the prefix length: token counts grow monotonically with it (to within the slicing
  // tolerance of the tokenizer, which only ever overcounts).
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countTokens(text.slice(0, middle)) <= maxTokens) low = middle;
    else high = middle - 1;
  }
  const prefix = text.slice(0, low);
  const space = prefix.search(/\s\S*$/);
  return space > low * 0.9 ? prefix.slice(0, space) : prefix;
}

/**
 * The same provider, with every input cut to the model's input limit first: a provider rejects the whole
 * request when one input is too long, which would fail the document over a single oversized chunk.
 */
export class InputTokenLimitedProvider implements EmbeddingProvider {
  readonly name: string;
  readonly model: string;
  readonly dimension: number;

  constructor(
    private readonly provider: EmbeddingProvider,
    private readonly maxInputTokens: number,
  ) {
    this.name = provider.name;
    this.model = provider.model;
    this.dimension = provider.dimension;
  }

  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return this.provider.embed(
      texts.map((text) => truncateToTokens(text, this.maxInputTokens)),
      options,
    );
  }
}
