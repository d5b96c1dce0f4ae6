/**
 * Sentences that run on over a page break. A page is extracted on its own, so the chunker used to join every
 * page to the one before with a paragraph break, even in mid-sentence ("…when the MPRV bit in the mstatus
 * register" / "is clear, and data accesses…"): the sentence then read as two, one without a subject, for the
 * chunker's sentence units and for whoever quotes the chunk. A page whose last line does not end a sentence,
 * followed by one whose first line starts with a lower-case letter, is one sentence going on: the second page
 * is marked as opening mid-sentence and joined with a space (see Chunker). Any other page still starts a
 * paragraph: a capital, a digit or a heading after an unfinished line is more often a header the cleaner kept, a
 * figure or a new section than the middle of a sentence. Measured on the shared PDFs (`bench/text-quality.ts`).
 */

/** Marks that end a sentence, or a clause a page may end on without the next page continuing it. */
const SENTENCE_ENDS: ReadonlySet<string> = new Set([...'.!?:;…。！？']);
/** What may follow the end mark: closing quotes and brackets. */
const CLOSING: ReadonlySet<string> = new Set([...'"\'’”)]»']);
const LOWER_CASE_START = /^\p{Ll}/u;

/** Whether `line` ends a sentence: its last mark, before any closing quotes or brackets and trailing space. A blank line does. */
export function endsSentence(line: string): boolean {
  let i = line.length - 1;
  while (i >= 0 && (CLOSING.has(line[i]) || line[i].trim() === '')) i -= 1;
  return i < 0 || SENTENCE_ENDS.has(line[i]);
}

/** Whether a page whose first line is `line` goes on with a sentence the page before left unfinished. */
export function continuesSentence(previousEnded: boolean, line: string): boolean {
  return !previousEnded && LOWER_CASE_START.test(line.trimStart());
}
