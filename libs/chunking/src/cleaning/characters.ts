/**
 * Character normalisation applied to every page and section before it is stored: the characters a PDF (or a
 * text file) uses for typesetting rather than for meaning. Deliberately not NFKC: that would also turn
 * superscript digits into digits ("m²" into "m2"), full-width forms into ASCII and "½" into "1⁄2".
 *
 * - Latin ligatures U+FB00–U+FB06 become their letters (ﬁ → fi), so "ﬁnd" is the word "find" for BM25.
 * - A soft hyphen (U+00AD) at a line end marks a discretionary hyphenation: the word continues on the next
 *   line, so the hyphen and the line break go ("pro\u00AD\nduce" → "produce"). Anywhere else it is invisible
 *   and is dropped.
 * - Zero-width space (U+200B), word joiner (U+2060), Mongolian vowel separator (U+180E) and zero-width
 *   no-break space (U+FEFF) are dropped. Zero-width joiner and non-joiner (U+200C, U+200D) stay: they change
 *   how Indic and Persian words and emoji are written.
 * - Non-breaking and other Unicode spaces are left to the whitespace normalisation that follows (`\s` covers
 *   them), which makes every run of them one ordinary space.
 * - A lone surrogate (half of a UTF-16 pair, which a PDF's font can map a glyph to: /uniD800) becomes U+FFFD, as
 *   PostgreSQL would store it anyway.
 */
export function normaliseCharacters(text: string): string {
  return text.toWellFormed().replace(TYPESETTING_CHARACTER, (match) => LIGATURES[match] ?? '');
}

const LIGATURES: Readonly<Record<string, string>> = {
  '\ufb00': 'ff',
  '\ufb01': 'fi',
  '\ufb02': 'fl',
  '\ufb03': 'ffi',
  '\ufb04': 'ffl',
  '\ufb05': 'st', // long s + t
  '\ufb06': 'st',
};

/**
 * One character of the list above, or a soft hyphen with the line break after it (and the spaces or tabs
 * around the break). `[^\S\n]` is whitespace other than '\n', so neither side of the '\n' can eat it: linear.
 */
const TYPESETTING_CHARACTER = /[\ufb00-\ufb06\u200b\u2060\u180e\ufeff]|\u00ad(?:[^\S\n]*\n[^\S\n]*)?/g;
