// Adversarial texts and a ratio-based linear-time check for code that scans user text (regular expressions,
// hand-written loops). In a *.spec.ts beside the code: `fc.assert(fc.property(adversarialText(300), ...))` against
// a simple reference, and `assertLinearTime(fn)`. On 40× the input a quadratic scan is 1600× slower, an n·log n
// one about 54×, a linear one about 40× — or more: a megabyte no longer fits the CPU caches and makes more garbage
// (linear scans measured 41-55×).
import assert from 'node:assert/strict';
import fc from 'fast-check';

export const SMALL_CHARS = 25_000;
export const LARGE_CHARS = 1_000_000;
/**
 * The bound on time(LARGE) / time(SMALL): three times the size ratio of 40. An exactly linear scan lands on 40×
 * itself, and a megabyte that no longer fits the caches costs more a character: linear scans measured 41-55× on
 * one machine and 87-91× on another (a 2-core VM with a small cache share). A quadratic fn is still 13× over the
 * bound, and n^1.5 (253×) is over it too.
 */
const MAX_RATIO = 3 * (LARGE_CHARS / SMALL_CHARS);
/**
 * A measurement shorter than this (0.04 ms for some fns on 25 kB) is mostly timer and scheduler noise, so an input
 * is run again and again in one batch until the batch has used this much CPU time, and its time is the batch's
 * time divided by the number of runs.
 */
const MIN_BATCH_MS = 5;
/**
 * Below this many nanoseconds a character on the larger input the ratio is not checked: the times then measure
 * caches, the garbage collector and other processes, not the algorithm. A plain scan on a loaded machine measured
 * 110× in wall time; on a quiet 2-core VM, with the other core running a test file, scans of 10-30 ns a character
 * measured 160-400×; splitting 100 kB into 50,000 words costs 65 ns a character at every size from 100 kB to
 * 1 MB, against 14 on 25 kB (the young generation holds the small input's words, not the large one's). No
 * super-linear fn gets under it: n^1.5 needs about 300 ns a character on 100 kB and 1,000 on 1 MB, a quadratic
 * one far more.
 */
const FLOOR_NS_PER_CHAR = 100;

/** Every ASCII punctuation character. */
const PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
/** Every character that `\s` matches in JavaScript, the line terminators included. */
const WHITESPACE = [
  '\n', '\r', '\t', '\v', '\f', ' ', '\u00a0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004',
  '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
  '\ufeff',
];

/** `piece` repeated to exactly `chars` characters. */
function repeatTo(piece: string, chars: number): string {
  return piece.repeat(Math.ceil(chars / piece.length)).slice(0, chars);
}

/**
 * A run starts after a sentence end and ends with a letter: a pattern that looks back for the sentence end
 * (`(?<=\.[)"]*)`) succeeds from every position in the run, and a pattern that must reach the end of the run
 * (`\s+$`, `\.+\n`) fails only there — what makes a backtracking pattern rescan the run from every position.
 */
function run(char: string): (chars: number) => string {
  return (chars) => (chars < 3 ? char.repeat(chars) : 'a.' + char.repeat(chars - 3) + 'x');
}

/** Pieces that, repeated, look like the start of a structure again and again: list items, links, numbers. */
const MIXTURES = [
  ...['.\n', 'a.', 'a. ', '. \n', ' \n', '\t\n', '\r\n', 'a \n'],
  ...['# ', '- ', '* ', '> ', '[a](', '](', '|', '**', '--\n', '1.2.', '1. '],
];

/** The adversarial shapes as plain generators for timing: each (chars) => string. */
export const ADVERSARIAL_SHAPES: ReadonlyArray<{ name: string; make: (chars: number) => string }> = [
  ...[...PUNCTUATION, ...WHITESPACE].map((char) => ({ name: `run of ${JSON.stringify(char)}`, make: run(char) })),
  { name: 'one line without spaces', make: (chars: number) => repeatTo('abcdefghij', chars) },
  { name: 'lines without spaces', make: (chars: number) => repeatTo('a'.repeat(79) + '\n', chars) },
  ...MIXTURES.map((piece) => ({
    name: `${JSON.stringify(piece)} repeated`,
    make: (chars: number) => repeatTo(piece, chars),
  })),
];

const ADVERSARIAL_CHARS = [...PUNCTUATION, ...WHITESPACE];

/**
 * fast-check arbitrary of adversarial texts of about `chars` characters: long runs of one punctuation or whitespace
 * character, lines without spaces, mixtures — either one of ADVERSARIAL_SHAPES or a random sequence of runs,
 * repeated pieces and words.
 */
export function adversarialText(chars: number): fc.Arbitrary<string> {
  const length = fc.integer({ min: 1, max: Math.max(1, chars) });
  const piece = fc.oneof(
    fc.tuple(fc.constantFrom(...ADVERSARIAL_CHARS), length).map(([char, n]) => char.repeat(n)),
    fc.tuple(fc.constantFrom(...ADVERSARIAL_SHAPES), length).map(([shape, n]) => shape.make(n)),
    fc.stringMatching(/^[a-z0-9]{1,12}$/),
    fc.string({ unit: fc.constantFrom(...ADVERSARIAL_CHARS, 'a', 'Z', '1'), maxLength: 40 }),
  );
  return fc.oneof(
    fc.constantFrom(...ADVERSARIAL_SHAPES).map((shape) => shape.make(Math.max(1, chars))),
    fc.array(piece, { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join('').slice(0, chars)),
  );
}

/**
 * CPU milliseconds per call of fn over `texts`, taken in turn: one batch of enough calls to use MIN_BATCH_MS. CPU
 * time, not wall time: on a loaded machine a 100 ms call is always preempted and a 5 ms batch often is not, so wall
 * time made a linear fn look 150× slower on 1 MB. The small side passes LARGE_CHARS / SMALL_CHARS separate copies,
 * so both sides read a megabyte of memory rather than one small text that stays in the CPU cache.
 */
function timePerCall(fn: (text: string) => unknown, texts: readonly string[]): number {
  let calls = 0;
  const start = process.cpuUsage();
  let elapsed: number;
  do {
    fn(texts[calls % texts.length]);
    calls += 1;
    const used = process.cpuUsage(start);
    elapsed = (used.user + used.system) / 1000;
  } while (elapsed < MIN_BATCH_MS);
  return elapsed / calls;
}

/**
 * The best time per call on each side over `repeats` alternating measurements — up to three times as many while
 * the ratio is over `bound` (another process can spoil a measurement even in CPU time, through the caches), but
 * none more once it is over twice `bound`: a quadratic fn is clear at once, and each measurement of it is slow.
 */
function best(
  fn: (text: string) => unknown,
  small: readonly string[],
  large: readonly string[],
  repeats: number,
  bound: number,
): [number, number] {
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let i = 0; i < 3 * repeats; i += 1) {
    bestSmall = Math.min(bestSmall, timePerCall(fn, small));
    bestLarge = Math.min(bestLarge, timePerCall(fn, large));
    const ratio = bestLarge / bestSmall;
    if (ratio > 2 * bound || (i + 1 >= repeats && ratio <= bound)) break;
  }
  return [bestSmall, bestLarge];
}

/**
 * Asserts that fn(make(LARGE_CHARS)) takes at most MAX_RATIO (80)× fn(make(SMALL_CHARS)), best of `repeats` runs,
 * for each shape. The small and large measurements alternate (after a warm-up on the small input, so the JIT has
 * compiled fn before anything is timed), and each is the best of its repeats, which drops pauses from other
 * processes; a shape over the bound is measured up to three times as often, and then checked again from the start
 * up to `attempts` times in all before it fails: one garbage-collection pause in a batch of a few calls can put a
 * linear fn over the bound once, while a super-linear one is hundreds of times over on every attempt.
 * 4× SMALL_CHARS is checked first, against 8×: a quadratic fn fails there in seconds instead of running for minutes
 * on LARGE_CHARS. A larger input done within FLOOR_NS_PER_CHAR a character passes whatever the ratio.
 */
export function assertLinearTime(
  fn: (text: string) => unknown,
  shapes: typeof ADVERSARIAL_SHAPES = ADVERSARIAL_SHAPES,
  repeats = 3,
  attempts = 3,
): void {
  for (const shape of shapes) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        assertShapeLinear(fn, shape, repeats);
        break;
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  }
}

function assertShapeLinear(fn: (text: string) => unknown, shape: (typeof ADVERSARIAL_SHAPES)[number], repeats: number): void {
  const small = Array.from({ length: LARGE_CHARS / SMALL_CHARS }, () => shape.make(SMALL_CHARS));
  timePerCall(fn, small);
  for (const chars of [4 * SMALL_CHARS, LARGE_CHARS]) {
    const bound = (MAX_RATIO * chars) / LARGE_CHARS;
    const large = [shape.make(chars)];
    const [bestSmall, bestLarge] = best(fn, small, large, repeats, bound);
    const ratio = bestLarge / bestSmall;
    assert.ok(
      ratio <= bound || bestLarge * 1e6 <= FLOOR_NS_PER_CHAR * chars,
      `${shape.name}: ${chars} characters took ${bestLarge.toFixed(2)} ms of CPU, ${ratio.toFixed(1)}× the ` +
        `${bestSmall.toFixed(3)} ms of ${SMALL_CHARS} (at most ${bound}× for linear time)`,
    );
  }
}
