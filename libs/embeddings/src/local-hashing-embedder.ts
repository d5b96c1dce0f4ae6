import { ValidationError } from '@app/errors';
import { EmbeddingProvider, l2NormalizeInPlace } from './embedding-provider';
import { fnv1a, fnv1aByte, fnv1aCodePoint, mix32 } from './feature-hashing';
import { STOP_WORDS } from './stop-words';

/** Relative weight of each feature family in the vector; each family is normalised before weighting. */
export interface FeatureWeights {
  words: number;
  bigrams: number;
  trigrams: number;
}

/**
 * Chosen on NFCorpus dev (nDCG@10, 384 dimensions): trigrams carry most of the signal (they match
 * morphological variants); words add a little; bigrams are kept small because every extra feature family
 * competes for the same buckets.
 */
export const LOCAL_FEATURE_WEIGHTS: Readonly<FeatureWeights> = Object.freeze({ words: 0.5, bigrams: 0.2, trigrams: 1 });

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const WORD_START = 0x3c; // '<' cannot occur inside a word, so it marks the boundary unambiguously
const WORD_END = 0x3e;
/** Per-family seeds keep a word, a bigram and a trigram with equal bytes in unrelated buckets. */
const FAMILY_SEEDS = { words: 0x9e3779b9, bigrams: 0x7f4a7c15, trigrams: 0x94d049bb } as const;
const SIGN_SEED = 0x2545f491;

type Family = keyof FeatureWeights;

/**
 * Feature-hashed bag of words, word bigrams and character trigrams (with word-boundary markers) of the
 * lowercased words, stop words left out (unless the text has nothing else), each feature
 * weighted by sub-linear term frequency (1 + ln tf) and added with a hash-chosen sign so collisions cancel
 * out on average instead of piling up. Trigrams let morphological variants ("tumour", "tumours") meet;
 * bigrams reward matching phrases. Returns an L2-normalised vector, or the zero vector for text without words.
 */
export function hashedFeatureVector(
  text: string,
  dimension: number,
  weights: Readonly<FeatureWeights> = LOCAL_FEATURE_WEIGHTS,
): Float32Array {
  const counts: Record<Family, Map<number, number>> = { words: new Map(), bigrams: new Map(), trigrams: new Map() };
  let previousWord: number | undefined;
  for (const word of contentWords(text)) {
    const wordHash = fnv1a(word);
    increment(counts.words, wordHash);
    if (previousWord !== undefined) increment(counts.bigrams, fnv1a(word, fnv1aByte(0x20, previousWord)));
    previousWord = wordHash;
    const codePoints = [WORD_START];
    for (const char of word) codePoints.push(char.codePointAt(0)!);
    codePoints.push(WORD_END);
    for (let i = 0; i + 2 < codePoints.length; i++) {
      const trigram = fnv1aCodePoint(codePoints[i + 2], fnv1aCodePoint(codePoints[i + 1], fnv1aCodePoint(codePoints[i])));
      increment(counts.trigrams, trigram);
    }
  }

  const vector = new Float32Array(dimension);
  const family = new Float32Array(dimension);
  for (const name of Object.keys(counts) as Family[]) {
    if (weights[name] === 0 || counts[name].size === 0) continue;
    family.fill(0);
    const seed = FAMILY_SEEDS[name];
    for (const [hash, count] of counts[name]) {
      const bucket = mix32(hash, seed) % dimension;
      const sign = mix32(hash, seed ^ SIGN_SEED) & 1 ? 1 : -1;
      family[bucket] += sign * (1 + Math.log(count));
    }
    // Normalising per family makes the weights mean what they say: a long word yields many trigrams but one
    // unigram, and without this the trigram family would drown the words.
    l2NormalizeInPlace(family);
    for (let i = 0; i < dimension; i++) vector[i] += weights[name] * family[i];
  }
  return l2NormalizeInPlace(vector);
}

function contentWords(text: string): string[] {
  const words = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  const content = words.filter((word) => !STOP_WORDS.has(word));
  return content.length > 0 ? content : words;
}

function increment(counts: Map<number, number>, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Offline embedder: deterministic feature hashing, no model download, no network. Weaker than a neural
 * model on paraphrase but good at lexical overlap, and fast (about a thousand chunk-sized texts in well
 * under a second). The model name is versioned: changing features or weights must change it, because stored
 * vectors are only comparable with vectors from the same version.
 */
export class LocalHashingEmbedder implements EmbeddingProvider {
  readonly name = 'local';
  readonly model = 'local-hash-v1';

  constructor(readonly dimension = 384) {
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new ValidationError('dimension must be a positive integer', { dimension });
    }
  }

  async embed(texts: string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    return texts.map((text) => hashedFeatureVector(text, this.dimension));
  }
}
