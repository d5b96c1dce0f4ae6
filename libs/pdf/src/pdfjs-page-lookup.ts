import { SourcePatch } from './source-patch';

/**
 * pdfjs finds page n by walking the page tree from its root every time (Catalog.getPageDict): on a flat tree —
 * one /Pages node whose /Kids are all the pages, as qpdf and many producers write — each lookup pushes every kid
 * on a stack and pops the first n again, so reading a document page after page is quadratic: 9 % of the
 * extraction process's CPU on a 3,500-page book (--cpu-prof: RefMap.has and get under getPageDict).
 *
 * The fix is a few lines added to pdfjs's worker module as it is loaded (a module load hook; the file on disk is
 * not touched). Before its walk, getPageDict looks among the root's kids with a table of where each kid's pages
 * start, built from the page counts pdfjs itself has cached (pageKidsCountCache), and only answers when the page
 * is a leaf kid at exactly that index: then it makes the same checks and cache entries the walk would and
 * returns what the walk would have returned. The walk skips a kid by the same cached count, so both reach that
 * kid at the same index; anything else (an intermediate node, a circular reference, a miss) goes to pdfjs's own
 * walk, unchanged. Nested trees keep pdfjs's own walk, which skips whole subtrees by their /Count.
 *
 * cleanup() empties pdfjs's count cache, but the table stays: what it holds is where each kid's pages start, which
 * the walk derives the same way with or without the cache (a leaf is one page, a node is its /Count, cached or read
 * again from the unchanging file), and dropping it made the next page's lookup a walk that fetches every kid
 * before it again — 3 % of the extraction process's CPU on a 3,500-page book, cleaned up every 1,024 pages.
 * It is as long as the root's /Kids.
 *
 * If pdfjs's source no longer holds the text the patch expects (another version), the module loads unpatched
 * and a warning says so: slower on long flat documents, never different. A test fails when that happens.
 */

/** The text the patch rewrites, expected exactly once in pdf.worker.mjs. */
const GET_PAGE_DICT = '  async getPageDict(pageIndex) {\n    const nodesToVisit = [this.toplevelPagesDict];';

/** Inserted into pdfjs's Catalog class: Dict, Ref and isName are names of pdfjs's own module scope. */
const PAGE_AMONG_ROOT_KIDS = `  #groundworkKidStarts = null;
  async getPageDict(pageIndex) {
    return (await this.#groundworkPageAmongRootKids(pageIndex)) ?? this.#groundworkPageDictFromRoot(pageIndex);
  }
  async #groundworkPageAmongRootKids(pageIndex) {
    const root = this.toplevelPagesDict, xref = this.xref, counts = this.pageKidsCountCache;
    if (!(root instanceof Dict)) return null;
    let count = root.getRaw("Count");
    if (count instanceof Ref) count = await xref.fetchAsync(count);
    if (Number.isInteger(count) && count >= 0) {
      if (root.objId && !counts.has(root.objId)) counts.put(root.objId, count);
      if (count <= pageIndex) return null;
    }
    let kids = root.getRaw("Kids");
    if (kids instanceof Ref) kids = await xref.fetchAsync(kids);
    if (!Array.isArray(kids)) return null;
    if (this.#groundworkKidStarts?.kids !== kids) this.#groundworkKidStarts = { kids, starts: [0] };
    const starts = this.#groundworkKidStarts.starts;
    for (let known = starts.length - 1; known < kids.length; known++) {
      const kidCount = kids[known] instanceof Ref ? counts.get(kids[known]) : undefined;
      if (!(kidCount >= 0)) break;
      starts.push(starts[known] + kidCount);
    }
    let low = 0, high = starts.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (starts[middle + 1] > pageIndex) high = middle;
      else low = middle + 1;
    }
    const kid = kids[low];
    if (starts[low] !== pageIndex || !(kid instanceof Ref)) return null;
    const pagesRef = this.#catDict.getRaw("Pages");
    if (pagesRef instanceof Ref && pagesRef.toString() === kid.toString()) return null;
    const kidCount = counts.get(kid);
    if (kidCount !== undefined && kidCount !== 1) return null;
    const obj = await (this.pageDictCache.get(kid) || xref.fetchAsync(kid));
    if (!(obj instanceof Dict)) return null;
    let type = obj.getRaw("Type");
    if (type instanceof Ref) type = await xref.fetchAsync(type);
    if (!isName(type, "Page") && obj.has("Kids")) return null;
    if (!counts.has(kid)) counts.put(kid, 1);
    if (!this.pageIndexCache.has(kid)) this.pageIndexCache.put(kid, pageIndex);
    return [obj, kid];
  }
  async #groundworkPageDictFromRoot(pageIndex) {
    const nodesToVisit = [this.toplevelPagesDict];`;

/**
 * The patch (applied by pdfjs.ts as pdfjs's worker module loads): the page lookup patched in, for a source that
 * holds the expected text exactly once (otherwise a pdfjs version this patch was not written for).
 */
export const PAGE_LOOKUP_PATCH: SourcePatch = {
  replacements: () => [[GET_PAGE_DICT, PAGE_AMONG_ROOT_KIDS]],
  warning: {
    code: 'GROUNDWORK_PDFJS_PAGE_LOOKUP',
    message: (outcome) => `pdfjs's page lookup is not patched (${outcome}): long PDFs with flat page trees extract more slowly (see pdfjs-page-lookup.ts)`,
  },
};
