import porter2 from 'wink-porter2-stemmer';

const LATIN_LOWERCASE_WORD = /^[a-z]+$/;
/**
 * Longer words are not stemmed. Porter2 as wink implements it takes time quadratic in the word's length (its
 * regions are found by regular expressions that rescan the word): 25 ms for 1,000 letters, 370 ms for 4,000 (a
 * question of the API's longest, blocking the event loop: a hybrid search of one took 0.44 s, 0.04 s now, or a
 * default chunk of one letter repeated), 12.6 s for the 32,000 a chunk of CHUNK_TOKENS 4000 holds. No English word
 * is this long (the longest in dictionaries has 45 letters; none of NFCorpus's or ArguAna's is over 64), so only
 * such runs and glued-together junk keep their letters as they are; stored vectors of real text do not change.
 */
export const MAX_STEMMED_WORD_CHARS = 64;

/**
 * Stems already worked out, by word: a text repeats its words, and Porter2's rules (a dozen regular expressions a
 * word) were half of the local embedder's time. Embedding NFCorpus's 3,633 documents (605,046 words, 26,363
 * distinct) took 3.3–3.8 s without it and 1.8–1.9 s with it. Bounded: words up to MAX_CACHED_WORD_CHARS, at most
 * MAX_CACHED_STEMS of them; when full it starts again empty, and the words of the texts now being embedded refill it.
 */
const stems = new Map<string, string>();
export const MAX_CACHED_STEMS = 20_000;
const MAX_CACHED_WORD_CHARS = 32;

/**
 * English stem of a lowercased word (Porter2, the Snowball algorithm PostgreSQL's 'english' configuration
 * uses), so "studies" and "study" are one feature. Words with digits or other scripts are kept as they are:
 * the stemmer's rules are for English letters only; so are words longer than MAX_STEMMED_WORD_CHARS.
 */
export function stemWord(word: string): string {
  let stem = stems.get(word);
  if (stem !== undefined) return stem;
  stem = word.length <= MAX_STEMMED_WORD_CHARS && LATIN_LOWERCASE_WORD.test(word) ? porter2(word) : word;
  if (word.length <= MAX_CACHED_WORD_CHARS) {
    if (stems.size >= MAX_CACHED_STEMS) stems.clear();
    stems.set(word, stem);
  }
  return stem;
}

/** How many stems are cached (for the tests of the bound). */
export function cachedStemCount(): number {
  return stems.size;
}
