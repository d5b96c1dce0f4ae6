import { countTokensWithin } from '@app/chunking';
import { STOP_WORDS } from '@app/embeddings';
import type { HistoryTurn } from '@app/llm';
import { MAX_QUERY_CHARS } from '../search/dto/search.dto';

/**
 * Words that point back to the turn before: a question using one ("and what does it cost?") is not
 * standalone, whatever its length.
 */
const REFERRING_WORDS: ReadonlySet<string> = new Set(
  'it its they them their theirs that those this these he she him her his one ones former latter same there then'.split(' '),
);
/** A question with at least this many content words and no referring word is taken as standalone. */
const STANDALONE_CONTENT_WORDS = 3;
/** What separates words; splitting allocates only the words, not a match object each (long inputs stay cheap). */
const NON_WORD = /[^\p{L}\p{N}]+/u;

/**
 * Characters of a message or previous question read for words: twice a question's limit (a follow-up completed
 * with the words it carried). Callers' limits keep inputs below it; the bound keeps the work small if not.
 */
const MAX_READ_CHARS = 8_000;

/** The distinct lower-case words of `text`'s first MAX_READ_CHARS, in order of first use. */
function distinctWords(text: string): Set<string> {
  const seen = new Set<string>();
  for (const word of text.slice(0, MAX_READ_CHARS).toLowerCase().split(NON_WORD)) if (word) seen.add(word);
  return seen;
}

const isContentWord = (word: string) => !STOP_WORDS.has(word) && !REFERRING_WORDS.has(word);

/**
 * The question to search for a follow-up, offline (no chat model rewrites it): the message itself when it
 * stands alone, otherwise the message followed by the content words of the previous standalone question that
 * it does not already use. "Which plans cover dental care?" then "and what do they cost?" searches
 * "and what do they cost? plans cover dental care". A message stands alone when it has at least three
 * distinct content words (not stop words) and none of the referring words above.
 */
export function standaloneQuestion(message: string, previous: string | null): string {
  if (previous === null) return message;
  const own = distinctWords(message);
  const refers = [...own].some((word) => REFERRING_WORDS.has(word));
  if (!refers && [...own].filter(isContentWord).length >= STANDALONE_CONTENT_WORDS) return message;
  let completed = message;
  for (const word of distinctWords(previous)) {
    if (own.has(word) || !isContentWord(word)) continue;
    // A question's own limit: each turn carries the one before, and stored turns are read back as history.
    if (completed.length + 1 + word.length > MAX_QUERY_CHARS) break;
    completed += ` ${word}`;
  }
  return completed;
}

/** Earlier turns read for a rewrite: more would not fit any sensible history budget. */
export const MAX_HISTORY_TURNS = 20;

/**
 * The turns a chat model sees when it rewrites a follow-up: the newest first kept, oldest dropped, until
 * `maxTokens` (question and answer counted together) is spent; the newest turn's answer is cut to fit when that
 * turn alone is over. Returned oldest first, as a transcript reads.
 */
export function recentHistory(turns: readonly HistoryTurn[], maxTokens: number): HistoryTurn[] {
  const kept: HistoryTurn[] = [];
  let room = maxTokens;
  for (let i = turns.length - 1; i >= 0; i--) {
    const { question, answer } = turns[i];
    const asked = countTokensWithin(question, room);
    if (!asked.fits) break;
    const answered = countTokensWithin(answer, room - asked.tokens);
    if (!answered.fits && kept.length > 0) break;
    kept.unshift({ question, answer: answered.fits ? answer : answer.slice(0, answered.end) });
    room -= asked.tokens + answered.tokens;
    if (!answered.fits) break;
  }
  return kept;
}
