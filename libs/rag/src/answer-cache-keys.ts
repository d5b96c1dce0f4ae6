import { createHash } from 'node:crypto';
import type { GenerationControls } from '@app/llm';

/** Everything besides the question that decides an answer. Two queries share cached answers only when all of it is equal. */
export interface AnswerCacheScope {
  collectionId: string;
  /** Bumped on every change to the collection's documents, so older answers are never found again. */
  contentVersion: number;
  filters: Record<string, unknown> | undefined;
  mode: string;
  topK: number;
  /** What the answer was generated from: chunks, their neighbours or their pages. */
  context: string;
  /** Other wordings searched (multi-query); 0 or absent for none. */
  multiQuery?: number;
  /** The answer backend and its models (AnswerGenerator.cacheIdentity). */
  generator: string;
  /** The sources were reranked (answers whose rerank failed are not cached: QueryService). */
  rerank?: boolean;
  /** The request's own model, temperature and answer length. */
  generation?: GenerationControls;
}

/**
 * The question's first 4,000 characters (the API's limit on a question) are all that decide its cache entries:
 * normalising and the meaning guard run on the API's event loop, so they read a bounded amount of text even if a
 * caller skips the request validation.
 */
export const MAX_CACHED_QUERY_CHARS = 4_000;

/** Case, spacing, Unicode forms and end punctuation do not change a question (of `maxChars` characters at most). */
export function normalizeQuery(query: string, maxChars = MAX_CACHED_QUERY_CHARS): string {
  const flat = query.slice(0, maxChars).normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  // A loop, not /[\s?.!]+$/: that expression retries a long run of such characters from each of them (quadratic).
  let end = flat.length;
  while (end > 0 && END_PUNCTUATION.has(flat[end - 1])) end--;
  return flat.slice(0, end);
}

/** What ends a question without changing it; the space is there because "days ?" ends in one. */
const END_PUNCTUATION = new Set([' ', '?', '.', '!']);

/** JSON with object keys sorted at every level, so equal filters written in another order hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The shape and meaning of a cached answer (CachedAnswer). Bump it when they change, so answers cached before are
 * never served in the new form: 2 numbers citations in reading order and gives each its source's `rank` (format 1
 * numbered them by retrieval rank); 3 adds the sources left out of the prompt and the context mode to the scope.
 */
export const CACHED_ANSWER_FORMAT = 3;

/**
 * Redis keys of one scope, under the deployment's prefix. Answer format, collection and version lead, so a
 * version's keys are easy to find; entries of an older format are not read and expire with their TTL.
 */
export function answerCacheKeys(prefix: string, scope: AnswerCacheScope) {
  const base = `${prefix}:answers:v${CACHED_ANSWER_FORMAT}:${scope.collectionId}:${scope.contentVersion}`;
  const scopeHash = sha256(canonicalJson({
    filters: scope.filters ?? null, mode: scope.mode, topK: scope.topK, context: scope.context, multiQuery: scope.multiQuery ?? 0,
    generator: scope.generator, rerank: scope.rerank || undefined, generation: scope.generation,
  }));
  return {
    exact: (normalizedQuery: string) => `${base}:exact:${sha256(`${scopeHash}\n${normalizedQuery}`)}`,
    /** The list of (question, embedding) entries searched for semantic hits. */
    semantic: `${base}:semantic:${scopeHash}`,
  };
}

/**
 * Words whose change flips an answer while barely moving an embedding: numbers and negations ("is smoking
 * allowed" vs "is smoking not allowed", "2023" vs "2024"). A semantic hit requires them to be equal.
 */
export function meaningGuard(normalizedQuery: string, maxChars = MAX_CACHED_QUERY_CHARS): string {
  // In order of appearance: "unit 1-2" and "unit 2-1" are different questions.
  return (normalizedQuery.slice(0, maxChars).match(/\d+(?:[.,]\d+)*|\b(?:no|not|never|none|nor|without|cannot)\b|n['’]t\b/g) ?? []).join(' ');
}

/** Cosine similarity of two L2-normalised vectors (their dot product). */
export function cosineOfUnitVectors(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -1;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}
