import { SourcePatch } from './source-patch';

/**
 * pdfjs checks a document's last page before getDocument answers (PDFDocument.checkLastPage), and on a flat page
 * tree — one /Pages node whose /Kids are every page — finding the last page fetches, and keeps, every page's
 * dictionary. A PDF of 100,000 blank pages (12 MB) took the extraction process past its heap
 * (PDF_EXTRACT_HEAP_MB, 96 MB) while opening, so it failed as pdf_too_complex, where MAX_PDF_PAGES should have
 * refused it by its page count as pdf_too_many_pages.
 *
 * The patch skips that check for a document whose page tree declares more pages than the limit the opening
 * process sets (setDeclaredPagesLimit; pdfjs's worker half runs in the same process): the caller refuses such a
 * document by its declared count as soon as getDocument answers (see openPdf). Within the limit pdfjs checks as
 * before, and corrects a wrong /Count as before. If pdfjs's source no longer holds the expected text (another
 * version), the module loads unpatched and a warning says so: such PDFs then fail as pdf_too_complex again.
 */

/** The global the patched check reads: the page limit of the document being opened, or undefined for none. */
const LIMIT_GLOBAL = 'groundworkDeclaredPagesLimit';

/** Sets the page limit the patched check compares a document's declared page count with (undefined: no limit). */
export function setDeclaredPagesLimit(limit: number | undefined): void {
  (globalThis as Record<string, unknown>)[LIMIT_GLOBAL] = limit;
}

/** The text the patch rewrites, expected exactly once in pdf.worker.mjs (PDFDocument.checkLastPage). */
const CHECK_LAST_PAGE = '      } else if (numPages <= 1) {\n        return;\n      }\n      await this.getPage(numPages - 1);';

const CHECK_LAST_PAGE_WITHIN_LIMIT =
  `      } else if (numPages <= 1 || numPages > (globalThis.${LIMIT_GLOBAL} ?? Infinity)) {\n        return;\n      }\n` +
  '      await this.getPage(numPages - 1);';

/** The patch (applied by pdfjs.ts as pdfjs's worker module loads). */
export const DECLARED_PAGES_PATCH: SourcePatch = {
  replacements: () => [[CHECK_LAST_PAGE, CHECK_LAST_PAGE_WITHIN_LIMIT]],
  warning: {
    code: 'GROUNDWORK_PDFJS_DECLARED_PAGES',
    message: (outcome) =>
      `pdfjs's last-page check is not patched (${outcome}): a PDF of far more pages than MAX_PDF_PAGES may fail as pdf_too_complex (see pdfjs-declared-pages.ts)`,
  },
};
