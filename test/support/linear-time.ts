// Adversarial texts and a ratio-based linear-time check for code that scans user text (regular expressions,
// hand-written loops). On 40× the input a quadratic scan is 1600× slower, an n·log n one about 54×, a linear one
// about 40× — and a little more, since a 1 MB string no longer fits the CPU caches (a plain regex scan measured 41×).
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';

export const SMALL_CHARS = 25_000;
export const LARGE_CHARS = 1_000_000;
/**
 * The bound on time(LARGE) / time(SMALL): twice the size ratio of 40, because an exactly linear scan lands on 40×
 * itself and would fail half the time; a quadratic one is still 20× over it.
 */
const MAX_RATIO = 2 * (LARGE_CHARS / SMALL_CHARS);
/**
 * A measurement shorter than this is mostly timer and scheduler noise, so a small input is run again and again in
 * one batch until the batch lasts this long, and its time is the batch's time divided by the number of runs.
 */
const MIN_BATCH_MS = 5;

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
 * A run ends with a letter: a pattern that must reach the end of a run (`\s+$`, `\.+\n`) fails only there, and
 * that failure is what makes a backtracking pattern retry from every position.
 */
function run(char: string): (chars: number) => string {
  return (chars) => char.repeat(chars - 1) + 'x';
}

/** The adversarial shapes as plain generators for timing: each (chars) => string. */
export const ADVERSARIAL_SHAPES: ReadonlyArray<{ name: string; make: (chars: number) => string }> = [
  ...[...PUNCTUATION, ...WHITESPACE].map((char) => ({ name: `run of ${JSON.stringify(char)}`, make: run(char) })),
  { name: 'one line without spaces', make: (chars: number) => repeatTo('abcdefghij', chars) },
  { name: 'lines without spaces', make: (chars: number) => repeatTo('a'.repeat(79) + '\n', chars) },
  ...['.\n', 'a.', 'a. ', '# ', '- ', '* ', '> ', '[a](', '](', '1.2.', '1. ', '. \n', ' \n', '\t\n', '\r\n', 'a \n', '|', '**', '--\n']
    .map((piece) => ({ name: `${JSON.stringify(piece)} repeated`, make: (chars: number) => repeatTo(piece, chars) })),
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

/** Milliseconds per call of fn(text): one batch of enough calls to last MIN_BATCH_MS. */
function timePerCall(fn: (text: string) => unknown, text: string): number {
  let calls = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    fn(text);
    calls += 1;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_BATCH_MS);
  return elapsed / calls;
}

/**
 * Asserts that fn(make(LARGE_CHARS)) takes at most MAX_RATIO (80)× fn(make(SMALL_CHARS)), best of `repeats` runs,
 * for each shape. The small and large measurements alternate (after a warm-up on the small input, so the JIT has compiled
 * fn before anything is timed), and each is the best of its repeats, which drops pauses from other processes.
 */
export function assertLinearTime(
  fn: (text: string) => unknown,
  shapes: typeof ADVERSARIAL_SHAPES = ADVERSARIAL_SHAPES,
  repeats = 3,
): void {
  for (const shape of shapes) {
    const small = shape.make(SMALL_CHARS);
    const large = shape.make(LARGE_CHARS);
    const warm = timePerCall(fn, small);
    // A quadratic fn would run for minutes on LARGE_CHARS: 4× the input taking over 12× the time fails at once.
    const quadruple = shape.make(4 * SMALL_CHARS);
    const early = Math.min(timePerCall(fn, quadruple), timePerCall(fn, quadruple)) / warm;
    assert.ok(early <= 12, `${shape.name}: ${4 * SMALL_CHARS} characters took ${early.toFixed(1)}× ${SMALL_CHARS}`);
    let bestSmall = Infinity;
    let bestLarge = Infinity;
    for (let i = 0; i < repeats; i += 1) {
      bestSmall = Math.min(bestSmall, timePerCall(fn, small));
      bestLarge = Math.min(bestLarge, timePerCall(fn, large));
    }
    const ratio = bestLarge / bestSmall;
    assert.ok(
      ratio <= MAX_RATIO,
      `${shape.name}: ${LARGE_CHARS} characters took ${bestLarge.toFixed(2)} ms, ${ratio.toFixed(1)}× the ` +
        `${bestSmall.toFixed(3)} ms of ${SMALL_CHARS} (at most ${MAX_RATIO}× for linear time; the sizes differ 40×)`,
    );
  }
}
