import { SourcePatch } from './source-patch';

/**
 * pdfjs's text extraction (PartialEvaluator.getTextContent) computes the current text transform —
 * ctm × textMatrix × [fontSize·hScale 0 0 fontSize 0 rise] — twice per glyph: once to compare the glyph's
 * position with the last one (compareWithLastPosition) and once to remember where it ended (prevTransform). Each
 * time it builds three six-number arrays (the font matrix and two Util.transform products) that are garbage a
 * moment later: on a 3,500-page book, Util.transform was 9 % of the extraction process's CPU (--cpu-prof) and
 * its arrays a good part of the 13 % spent collecting garbage.
 *
 * The fix rewrites getTextContent's getCurrentTextTransform as pdfjs's worker module is loaded (a module load
 * hook, see source-patch.ts; the file on disk is not touched): the same products, term by term in the
 * same order (so every number is the same double, -0 and NaN included), in local variables, written into an
 * array the caller passes or a new one. The position comparison passes one array of its own, used and dropped
 * within the call; the remembered position is written over in place, and copied where pdfjs lets it escape
 * (a whitespace item's transform), so every item keeps the numbers pdfjs would have given it. Every other
 * caller still gets a fresh array.
 *
 * If pdfjs's source no longer holds the text the patch expects (another version), the module loads unpatched
 * and a warning says so: slower, never different. A test fails when that happens.
 */

/** pdfjs's getCurrentTextTransform, expected exactly once in pdf.worker.mjs, and what replaces it. */
const CURRENT_TEXT_TRANSFORM = `    function getCurrentTextTransform() {
      const font = textState.font;
      const tsm = [textState.fontSize * textState.textHScale, 0, 0, textState.fontSize, 0, textState.textRise];
      if (font.isType3Font && (textState.fontSize <= 1 || font.isCharBBox) && !isArrayEqual(textState.fontMatrix, FONT_IDENTITY_MATRIX)) {
        const glyphHeight = font.bbox[3] - font.bbox[1];
        if (glyphHeight > 0) {
          tsm[3] *= glyphHeight * textState.fontMatrix[3];
        }
      }
      return Util.transform(textState.ctm, Util.transform(textState.textMatrix, tsm));
    }`;
// Util.transform(m1, m2) is [m1[0]*m2[0] + m1[2]*m2[1], m1[1]*m2[0] + m1[3]*m2[1], m1[0]*m2[2] + m1[2]*m2[3],
// m1[1]*m2[2] + m1[3]*m2[3], m1[0]*m2[4] + m1[2]*m2[5] + m1[4], m1[1]*m2[4] + m1[3]*m2[5] + m1[5]], evaluated
// left to right; below, the same terms with the font matrix's zeros written as 0 (x * 0 is not always 0).
const CURRENT_TEXT_TRANSFORM_INTO = `    const groundworkPositionTransform = [0, 0, 0, 0, 0, 0];
    function getCurrentTextTransform(into) {
      const font = textState.font;
      const t0 = textState.fontSize * textState.textHScale, t5 = textState.textRise;
      let t3 = textState.fontSize;
      if (font.isType3Font && (textState.fontSize <= 1 || font.isCharBBox) && !isArrayEqual(textState.fontMatrix, FONT_IDENTITY_MATRIX)) {
        const glyphHeight = font.bbox[3] - font.bbox[1];
        if (glyphHeight > 0) {
          t3 *= glyphHeight * textState.fontMatrix[3];
        }
      }
      const m = textState.textMatrix;
      const i0 = m[0] * t0 + m[2] * 0, i1 = m[1] * t0 + m[3] * 0;
      const i2 = m[0] * 0 + m[2] * t3, i3 = m[1] * 0 + m[3] * t3;
      const i4 = m[0] * 0 + m[2] * t5 + m[4], i5 = m[1] * 0 + m[3] * t5 + m[5];
      const c = textState.ctm;
      const r0 = c[0] * i0 + c[2] * i1, r1 = c[1] * i0 + c[3] * i1;
      const r2 = c[0] * i2 + c[2] * i3, r3 = c[1] * i2 + c[3] * i3;
      const r4 = c[0] * i4 + c[2] * i5 + c[4], r5 = c[1] * i4 + c[3] * i5 + c[5];
      if (into === undefined) return [r0, r1, r2, r3, r4, r5];
      into[0] = r0;
      into[1] = r1;
      into[2] = r2;
      into[3] = r3;
      into[4] = r4;
      into[5] = r5;
      return into;
    }`;

/** The other places the patch changes, each expected exactly once, with what replaces them. */
const CALL_SITES: ReadonlyArray<readonly [string, string]> = [
  // compareWithLastPosition reads the transform and lets go of it before it returns.
  ['      const currentTransform = getCurrentTextTransform();', '      const currentTransform = getCurrentTextTransform(groundworkPositionTransform);'],
  // The remembered position: written over in place once it exists (it starts as null)...
  ['          textChunk.prevTransform = getCurrentTextTransform();', '          textChunk.prevTransform = getCurrentTextTransform(textChunk.prevTransform ?? undefined);'],
  // ...and copied where it becomes a whitespace item's transform (pushWhitespace's default, addFakeSpaces).
  ['      transform = textContentItem.prevTransform,', '      transform = textContentItem.prevTransform && textContentItem.prevTransform.slice(),'],
  ['        transform: transf || getCurrentTextTransform(),', '        transform: transf ? transf.slice() : getCurrentTextTransform(),'],
];

/**
 * The patch (applied by pdfjs.ts as pdfjs's worker module loads): getTextContent's transforms computed in place,
 * for a source that holds each expected text exactly once (otherwise a pdfjs version this patch was not written for).
 */
export const TEXT_TRANSFORMS_PATCH: SourcePatch = {
  replacements: () => [[CURRENT_TEXT_TRANSFORM, CURRENT_TEXT_TRANSFORM_INTO], ...CALL_SITES],
  warning: {
    code: 'GROUNDWORK_PDFJS_TEXT_TRANSFORMS',
    message: (outcome) => `pdfjs's text transforms are not patched (${outcome}): PDF text extraction allocates more (see pdfjs-text-transforms.ts)`,
  },
};
