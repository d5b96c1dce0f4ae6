import module from 'node:module';

/** What becomes of a patched module in this process. */
export type SourcePatchOutcome = 'not loaded' | 'applied' | 'source not recognised' | 'no module hooks';

/** A patch of a module's source, registered to apply as the module is loaded (see patchSourceOnLoad). */
export interface SourcePatch {
  readonly outcome: SourcePatchOutcome;
}

/**
 * Registers a module load hook that hands the source of the module loaded from `url` to `patch` and loads what
 * it returns (the file on disk is not touched); call before the module is imported. When `patch` returns
 * undefined (a source it was not written for: another version) or Node has no module hooks, the module loads as
 * it is and a warning made by `warning` says so. pdfjs's worker module is patched so (see pdfjs-page-lookup.ts,
 * pdfjs-text-transforms.ts, pdfjs-text-state-clone.ts); several patches of one module apply one after another.
 */
export function patchSourceOnLoad(url: string, patch: (source: string) => string | undefined, warning: { code: string; message: (outcome: SourcePatchOutcome) => string }): SourcePatch {
  const state: { outcome: SourcePatchOutcome } = { outcome: 'not loaded' };
  const warn = () => process.emitWarning(warning.message(state.outcome), { code: warning.code });
  // module.registerHooks arrived in Node 22.15 (see canvas-stub.ts).
  if (typeof module.registerHooks !== 'function') {
    state.outcome = 'no module hooks';
    warn();
    return state;
  }
  module.registerHooks({
    load: (loadedUrl, context, nextLoad) => {
      const loaded = nextLoad(loadedUrl, context);
      if (loadedUrl !== url || loaded.source === undefined || loaded.source === null) return loaded;
      const source = typeof loaded.source === 'string' ? loaded.source : new TextDecoder().decode(loaded.source);
      const patched = patch(source);
      state.outcome = patched === undefined ? 'source not recognised' : 'applied';
      if (patched === undefined) warn();
      return { ...loaded, source: patched ?? source };
    },
  });
  return state;
}

/**
 * `source` with each `[original, replacement]` pair's original replaced, or undefined unless every original occurs
 * exactly once, none overlapping another: the patches of pdfjs's worker module are written for one version's
 * exact text, and anything else is another version.
 *
 * The output is built in one pass over the (flat) source: replacing one part after another would search each
 * intermediate string, and V8 first copies such a string flat — about 15 ms for each of them over pdfjs's 2.4
 * million characters, in every extraction process that loads it.
 */
export function replaceEachOnce(source: string, replacements: ReadonlyArray<readonly [original: string, replacement: string]>): string | undefined {
  const found = replacements.map(([original, replacement]) => ({ at: source.indexOf(original), original, replacement }));
  if (found.some(({ at, original }) => at < 0 || source.indexOf(original, at + 1) >= 0)) return undefined;
  found.sort((a, b) => a.at - b.at);
  const parts: string[] = [];
  let from = 0;
  for (const { at, original, replacement } of found) {
    if (at < from) return undefined;
    parts.push(source.slice(from, at), replacement);
    from = at + original.length;
  }
  parts.push(source.slice(from));
  return parts.join('');
}
