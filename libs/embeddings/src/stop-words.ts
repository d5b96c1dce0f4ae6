/**
 * Common English function words. Hashed features have no idf to discount them, so without this list "the"
 * and "of" dominate every vector and make unrelated texts look alike.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about after all also an and any are as at be been before between both but by can could did do does ' +
    'during each for from had has have he her his how i if in into is it its may me more most my no not of ' +
    'on only or other our over she should so some such than that the their them then there these they this ' +
    'those through to under us very was we were what when where which while who why will with would you your'
  ).split(' '),
);
