import porter2 from 'wink-porter2-stemmer';

const LATIN_LOWERCASE_WORD = /^[a-z]+$/;

/**
 * English stem of a lowercased word (Porter2, the Snowball algorithm PostgreSQL's 'english' configuration
 * uses), so "studies" and "study" are one feature. Words with digits or other scripts are kept as they are:
 * the stemmer's rules are for English letters only.
 */
export function stemWord(word: string): string {
  return LATIN_LOWERCASE_WORD.test(word) ? porter2(word) : word;
}
