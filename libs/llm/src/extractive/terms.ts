/**
 * Words that carry no topic in a question or a sentence: English function words plus the interrogatives and
 * light verbs questions are made of ("how many ... do ... get"). Broader than the embedder's list on purpose:
 * there a kept word only adds a little noise, here it would count as evidence that a sentence answers.
 */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing done down during each either else ever every few for from ' +
    'further get gets getting give given gives got had has have having he her here hers herself him himself his ' +
    'how i if in into is it its itself just know let like made make many may me might more most much must my ' +
    'myself need neither no nor not now of off often on once one only or other ought our ours ourselves out over ' +
    'own per please same say says shall she should so some such tell than that the their theirs them themselves ' +
    'then there these they this those through thus to too under until up upon us use used using very want was ' +
    'we were what whatever when where whether which while who whom whose why will with within without would yes ' +
    'yet you your yours yourself yourselves'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:['’]\p{L}+)?/gu;

/**
 * A light English suffix-stripping stemmer: enough to make "policies"/"policy", "receives"/"received"/
 * "receiving" and "employees"/"employee" meet, which is all sentence matching needs. Not Porter: it never
 * merges words with different stems more aggressively than that, and short words stay as they are.
 */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/['’]s$/, '');
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (/(?:ss|x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed', 'ly']) {
    const base = w.slice(0, -suffix.length);
    if (w.endsWith(suffix) && base.length >= 3 && /[aeiouy]/.test(base)) {
      // "running" -> "runn" -> "run"; "falling" keeps "fall" (l, s and z doubles are part of the stem).
      w = /([^aeiouylsz])\1$/.test(base) ? base.slice(0, -1) : base;
      break;
    }
  }
  // A final silent e is dropped so "receive" and "receiv(ed)" meet.
  return w.length > 3 && w.endsWith('e') ? w.slice(0, -1) : w;
}

/** Lowercased words of `text` in order, apostrophes kept inside words. */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** Whether a lowercased word is a topic word: what comes before an apostrophe is not a stop word ("it's" is "it"). */
function isTopicWord(word: string): boolean {
  return !STOP_WORDS.has(word.split(/['’]/, 1)[0]);
}

/**
 * The stems of `list`'s topic words (lowercased words, as `words` returns them) that are among `wanted`: what
 * `contentTerms` of the text would give, intersected with `wanted`, without stemming every word. A stem keeps
 * its word's first two characters (suffixes are stripped, "ies" becomes "y", nothing is added in front), so a
 * word whose first two characters start no wanted stem cannot give one; words with an apostrophe ("a's" stems
 * to "a") take the full path. Sentence matching stems thousands of passage words for a handful of question terms.
 */
export function wantedTerms(list: readonly string[], wanted: ReadonlySet<string>): Set<string> {
  const starts = new Set([...wanted].map((term) => term.slice(0, 2)));
  const found = new Set<string>();
  for (const word of list) {
    const plain = !word.includes("'") && !word.includes('’');
    if ((plain && !starts.has(word.slice(0, 2))) || !isTopicWord(word)) continue;
    const term = stem(word);
    if (wanted.has(term)) found.add(term);
  }
  return found;
}

/** The distinct stems of `text`'s topic words: stop words out, stemmed. */
export function contentTerms(text: string): Set<string> {
  const terms = new Set<string>();
  for (const word of words(text)) {
    if (isTopicWord(word)) terms.add(stem(word));
  }
  return terms;
}
