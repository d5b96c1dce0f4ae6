import { ValidationError } from '@app/errors';
import { EmbeddingProvider, EmbedOptions, l2NormalizeInPlace, WordWeigher } from './embedding-provider';
import { fnv1a, fnv1aByte, fnv1aCodePoint, mix32 } from './feature-hashing';
import { stemWord } from './stemming';
import { STOP_WORDS } from './stop-words';

/** Relative weight of each feature family in the vector; each family is normalised before weighting. */
export interface FeatureWeights {
  words: number;
  bigrams: number;
  charGrams: number;
}

/**
 * Chosen on NFCorpus dev (nDCG@10, brute-force cosine, 1,024 dimensions): character n-grams carry most of
 * the signal (they match variants and compounds the stemmer misses), stems add to it, and bigrams are kept
 * small because every feature family competes for the same buckets.
 */
export const LOCAL_FEATURE_WEIGHTS: Readonly<FeatureWeights> = Object.freeze({ words: 0.5, bigrams: 0.2, charGrams: 1 });
/** Character n-gram lengths: trigrams match short stems, 4-grams are more specific (dev: +0.008 nDCG@10). */
const CHAR_GRAM_LENGTHS = [3, 4] as const;
/**
 * Measured on NFCorpus dev (nDCG@10, brute-force cosine): these features score 0.239 at 768 dimensions and 0.252
 * at 1,024 (version 1's features: 0.193 at 384, 0.233 at 1,024). Fewer buckets means more unrelated features
 * colliding; the issue caps the default at 1,024.
 */
export const LOCAL_EMBEDDING_DIMENSION = 1024;

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const WORD_START = 0x3c; // '<' cannot occur inside a word, so it marks the boundary unambiguously
const WORD_END = 0x3e;
/** Per-family seeds keep a word, a bigram and an n-gram with equal bytes in unrelated buckets. */
const FAMILY_SEEDS = { words: 0x9e3779b9, bigrams: 0x7f4a7c15, charGrams: 0x94d049bb } as const;
const SIGN_SEED = 0x2545f491;

type Family = keyof FeatureWeights;

/**
 * Feature-hashed bag of stemmed words, stemmed word bigrams and character 3- and 4-grams (with word-boundary
 * markers) of the lowercased words, stop words left out (unless the text has nothing else), each feature
 * weighted by sub-linear term frequency (1 + ln tf) and added with a hash-chosen sign so collisions cancel
 * out on average instead of piling up. Stems and n-grams let morphological variants ("tumour", "tumours")
 * meet; bigrams reward matching phrases. Returns an L2-normalised vector, or the zero vector for text
 * without words. Nothing depends on other texts, so stored vectors never change as a collection grows.
 *
 * `wordWeights` (queries only) scales the features each word contributes: a word's stem and n-grams by its
 * weight, a bigram by the geometric mean of its two words' weights. Search passes each word's idf in the
 * collection, so rare words decide the direction of the query and stored vectors need no statistics at all.
 */
export function hashedFeatureVector(
  text: string,
  dimension: number,
  weights: Readonly<FeatureWeights> = LOCAL_FEATURE_WEIGHTS,
  wordWeights?: ReadonlyMap<string, number>,
): Float32Array {
  const counts: Record<Family, Map<number, Feature>> = { words: new Map(), bigrams: new Map(), charGrams: new Map() };
  let previous: { stem: number; weight: number } | undefined;
  for (const word of contentWords(text)) {
    const weight = wordWeights?.get(word) ?? 1;
    const stem = stemWord(word);
    const stemHash = fnv1a(stem);
    add(counts.words, stemHash, weight);
    if (previous) add(counts.bigrams, fnv1a(stem, fnv1aByte(0x20, previous.stem)), Math.sqrt(weight * previous.weight));
    previous = { stem: stemHash, weight };
    const codePoints = [WORD_START];
    for (const char of word) codePoints.push(char.codePointAt(0)!);
    codePoints.push(WORD_END);
    for (const length of CHAR_GRAM_LENGTHS) {
      for (let i = 0; i + length <= codePoints.length; i++) {
        // Seeding with the length keeps a trigram and a 4-gram that hash alike apart.
        let gram = fnv1aByte(length);
        for (let j = i; j < i + length; j++) gram = fnv1aCodePoint(codePoints[j], gram);
        add(counts.charGrams, gram, weight);
      }
    }
  }

  const vector = new Float32Array(dimension);
  const family = new Float32Array(dimension);
  for (const name of Object.keys(counts) as Family[]) {
    if (weights[name] === 0 || counts[name].size === 0) continue;
    family.fill(0);
    const seed = FAMILY_SEEDS[name];
    for (const [hash, { count, weight }] of counts[name]) {
      const bucket = mix32(hash, seed) % dimension;
      const sign = mix32(hash, seed ^ SIGN_SEED) & 1 ? 1 : -1;
      family[bucket] += sign * weight * (1 + Math.log(count));
    }
    // Normalising per family makes the weights mean what they say: a long word yields many n-grams but one
    // stem, and without this the n-gram family would drown the words.
    l2NormalizeInPlace(family);
    for (let i = 0; i < dimension; i++) vector[i] += weights[name] * family[i];
  }
  return l2NormalizeInPlace(vector);
}

/** The words a text is embedded by: lowercased, NFKC-normalised, stop words left out unless nothing else remains. */
export function contentWords(text: string): string[] {
  const words = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  const content = words.filter((word) => !STOP_WORDS.has(word));
  return content.length > 0 ? content : words;
}

/** A hashed feature's occurrences, and the largest weight of the words it came from (variants share a stem). */
interface Feature {
  count: number;
  weight: number;
}

function add(features: Map<number, Feature>, key: number, weight: number): void {
  const feature = features.get(key);
  if (feature) {
    feature.count++;
    feature.weight = Math.max(feature.weight, weight);
  } else {
    features.set(key, { count: 1, weight });
  }
}

/**
 * Offline embedder: deterministic feature hashing, no model download, no network. Weaker than a neural
 * model on paraphrase but good at lexical overlap, and fast (about a thousand chunk-sized texts in well
 * under a second). The model name is versioned: changing features or weights must change it, because stored
 * vectors are only comparable with vectors from the same version.
 */
export class LocalHashingEmbedder implements EmbeddingProvider {
  readonly name = 'local';
  readonly model = 'local-hash-v2';

  constructor(readonly dimension = LOCAL_EMBEDDING_DIMENSION) {
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new ValidationError('dimension must be a positive integer', { dimension });
    }
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    return texts.map((text) => hashedFeatureVector(text, this.dimension));
  }

  async embedQuery(text: string, weighWords: WordWeigher, options: EmbedOptions = {}): Promise<Float32Array> {
    const words = [...new Set(contentWords(text))];
    const weights = await weighWords(words);
    options.signal?.throwIfAborted();
    return hashedFeatureVector(text, this.dimension, LOCAL_FEATURE_WEIGHTS, weights);
  }
}
