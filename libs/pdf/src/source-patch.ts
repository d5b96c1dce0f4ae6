import module from 'node:module';

/** What becomes of a patched module in this process. */
export type SourcePatchOutcome = 'not loaded' | 'applied' | 'source not recognised' | 'no module hooks';

export type Replacements = ReadonlyArray<readonly [original: string, replacement: string]>;

/** A patch of a module's source, applied as the module is loaded (see patchSourceOnLoad). */
export interface SourcePatch {
  /**
   * The `[original, replacement]` pairs it makes in `source`, or undefined for a source it was not written for;
   * it applies only if each original also occurs in `source` exactly once.
   */
  replacements(source: string): Replacements | undefined;
  /** The warning emitted when it does not apply, and why. */
  warning: { code: string; message(outcome: SourcePatchOutcome): string };
}

const outcomes = new Map<SourcePatch, SourcePatchOutcome>();
const hookedUrls = new Set<string>();

/** What became of `patch` in this process. */
export function sourcePatchOutcome(patch: SourcePatch): SourcePatchOutcome {
  return outcomes.get(patch) ?? 'not loaded';
}

/** `source` with `patch` applied, or undefined for a source it was not written for. */
export function applySourcePatch(source: string, patch: SourcePatch): string | undefined {
  const replacements = patch.replacements(source);
  return replacements && replaceEachOnce(source, replacements);
}

/**
 * Registers a module load hook that applies `patches` to the source of the module loaded from `url` and loads
 * the result (the file on disk is not touched); call before the module is imported, again for the same URL does
 * nothing. A patch that does not recognise the source (another version), or every patch when Node has no module
 * hooks, is left out with its warning; the others apply. pdfjs's worker module is patched so (see pdfjs.ts).
 *
 * The patches apply in one pass: each pass makes a new string of the whole source, and making one of pdfjs's
 * 2.4 million characters (some outside Latin-1) costs about 20 ms in every extraction process that loads it.
 */
export function patchSourceOnLoad(url: string, patches: readonly SourcePatch[]): void {
  if (hookedUrls.has(url)) return;
  hookedUrls.add(url);
  const settle = (patch: SourcePatch, outcome: SourcePatchOutcome) => {
    outcomes.set(patch, outcome);
    if (outcome !== 'applied') process.emitWarning(patch.warning.message(outcome), { code: patch.warning.code });
  };
  // module.registerHooks arrived in Node 22.15 (see canvas-stub.ts).
  if (typeof module.registerHooks !== 'function') {
    for (const patch of patches) settle(patch, 'no module hooks');
    return;
  }
  module.registerHooks({
    load: (loadedUrl, context, nextLoad) => {
      const loaded = nextLoad(loadedUrl, context);
      if (loadedUrl !== url || loaded.source === undefined || loaded.source === null) return loaded;
      const source = typeof loaded.source === 'string' ? loaded.source : new TextDecoder().decode(loaded.source);
      const recognised = new Map<SourcePatch, Located[]>();
      for (const patch of patches) {
        const replacements = patch.replacements(source);
        const located = replacements && locateEachOnce(source, replacements);
        if (located) recognised.set(patch, located);
      }
      // Undefined only if two recognised patches overlap (a bug of theirs): then none applies.
      const patched = splice(source, [...recognised.values()].flat());
      for (const patch of patches) settle(patch, patched !== undefined && recognised.has(patch) ? 'applied' : 'source not recognised');
      return { ...loaded, source: patched ?? source };
    },
  });
}

/** Where a replacement's original starts in the source. */
interface Located {
  at: number;
  original: string;
  replacement: string;
}

/**
 * Where each `[original, replacement]` pair's original occurs, or undefined unless each occurs exactly once: the
 * patches of pdfjs's worker module are written for one version's exact text, and anything else is another
 * version. Each original is looked for once (two scans of the source: found, and not again), which is what the
 * check costs.
 */
function locateEachOnce(source: string, replacements: Replacements): Located[] | undefined {
  const located: Located[] = [];
  for (const [original, replacement] of replacements) {
    const at = source.indexOf(original);
    if (at < 0 || source.indexOf(original, at + 1) >= 0) return undefined;
    located.push({ at, original, replacement });
  }
  return located;
}

/**
 * `source` with each located original replaced, built in one pass over the source (replacing one part after
 * another would make a new string of the whole source for each, see patchSourceOnLoad); undefined if two
 * originals overlap.
 */
function splice(source: string, located: Located[]): string | undefined {
  const parts: string[] = [];
  let from = 0;
  for (const { at, original, replacement } of [...located].sort((a, b) => a.at - b.at)) {
    if (at < from) return undefined;
    parts.push(source.slice(from, at), replacement);
    from = at + original.length;
  }
  parts.push(source.slice(from));
  return parts.join('');
}

/**
 * `source` with each `[original, replacement]` pair's original replaced, or undefined unless every original occurs
 * exactly once, none overlapping another.
 */
export function replaceEachOnce(source: string, replacements: Replacements): string | undefined {
  const located = locateEachOnce(source, replacements);
  return located && splice(source, located);
}
