import { SourcePatch } from './source-patch';

/**
 * pdfjs's text extraction clones its TextState at every save (`q`), every font change and every form XObject,
 * and a clone was made with the state it copies as its prototype (`Object.create(this)`). An object that becomes
 * a prototype gets a map of its own in V8, so every state had a different shape: each clone was a slow
 * Object.assign (TextState.clone alone was 3 % of the extraction process's CPU on a 3,500-page book) and every
 * read of the current state's fields (font size, matrices, spacing: several per glyph) met a new shape.
 *
 * The prototype chain carries nothing: a TextState's fields are all its own (class fields, and a clone copies
 * every own field of the state it copies), so whatever is read from a clone is read from the clone itself, and
 * methods come from TextState.prototype either way. The patch makes every clone's prototype TextState.prototype
 * as pdfjs's worker module is loaded (a module load hook: see source-patch.ts), so all states share a few shapes.
 * pdfjs's own StateManager and getTextContent are the only ones to make or clone a TextState.
 *
 * If pdfjs's source no longer holds the text the patch expects (another version), the module loads unpatched
 * and a warning says so: slower, never different. A test fails when that happens.
 */
const CLONE_WITH_STATE_AS_PROTOTYPE = '    const clone = Object.assign(Object.create(this), this);';
const CLONE_WITH_CLASS_PROTOTYPE = '    const clone = Object.assign(Object.create(TextState.prototype), this);';

/**
 * The patch (applied by pdfjs.ts as pdfjs's worker module loads): TextState's clones made from
 * TextState.prototype, for a source that holds the expected text exactly once, inside TextState (otherwise a
 * pdfjs version this patch was not written for; EvalState's clone, which does rely on its prototype chain, is
 * written differently).
 */
export const TEXT_STATE_CLONE_PATCH: SourcePatch = {
  replacements: (source) => {
    // The text is TextState's clone only if it comes after TextState's declaration and before the next class's.
    const textState = source.indexOf('\nclass TextState {');
    const clone = source.indexOf(CLONE_WITH_STATE_AS_PROTOTYPE);
    const nextClass = source.indexOf('\nclass ', textState + 1);
    if (textState < 0 || clone < textState || (nextClass >= 0 && clone > nextClass)) return undefined;
    return [[CLONE_WITH_STATE_AS_PROTOTYPE, CLONE_WITH_CLASS_PROTOTYPE]];
  },
  warning: {
    code: 'GROUNDWORK_PDFJS_TEXT_STATE_CLONE',
    message: (outcome) => `pdfjs's TextState clones are not patched (${outcome}): PDF text extraction is slower (see pdfjs-text-state-clone.ts)`,
  },
};
