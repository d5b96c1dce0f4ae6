import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DECLARED_PAGES_PATCH } from './pdfjs-declared-pages';
import { PAGE_LOOKUP_PATCH } from './pdfjs-page-lookup';
import { TEXT_STATE_CLONE_PATCH } from './pdfjs-text-state-clone';
import { TEXT_TRANSFORMS_PATCH } from './pdfjs-text-transforms';
import { patchSourceOnLoad } from './source-patch';

export type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let loading: Promise<Pdfjs> | undefined;

/**
 * Loads pdfjs-dist once per process. The package is ESM-only and this project compiles to CommonJS, so it
 * must come through a real `import()` (tsc keeps it under module "nodenext"); the legacy build is the one
 * meant for Node. A failed load is not cached, so a later call can try again.
 */
export function loadPdfjs(): Promise<Pdfjs> {
  loading ??= import('pdfjs-dist/legacy/build/pdf.mjs').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** The worker half of pdfjs (its parser), as far as this project drives it. */
export interface PdfjsWorkerModule {
  WorkerMessageHandler: { initializeFromPort(port: unknown): void };
}

/** The directory pdfjs-dist is installed in. */
function pdfjsRoot(): string {
  return dirname(require.resolve('pdfjs-dist/package.json'));
}

/**
 * The URL Node loads pdfjs's worker half from, which its patches recognise; a URL with a query (tests load the
 * original so) is left alone. Imported by URL, so tsc leaves the import alone (the module ships no types).
 */
export function pdfjsWorkerUrl(): string {
  return pathToFileURL(join(pdfjsRoot(), 'legacy', 'build', 'pdf.worker.mjs')).href;
}

let loadingWorker: Promise<PdfjsWorkerModule> | undefined;

/**
 * Loads pdfjs's worker half once per process (see loadPdfjs), patched as it loads: its page lookup
 * (pdfjs-page-lookup.ts), the text transforms and text state clones of its text extraction
 * (pdfjs-text-transforms.ts, pdfjs-text-state-clone.ts), and its last-page check (pdfjs-declared-pages.ts); a
 * failed load is not cached.
 */
export function loadPdfjsWorker(): Promise<PdfjsWorkerModule> {
  const url = pdfjsWorkerUrl();
  patchSourceOnLoad(url, [PAGE_LOOKUP_PATCH, TEXT_TRANSFORMS_PATCH, TEXT_STATE_CLONE_PATCH, DECLARED_PAGES_PATCH]);
  loadingWorker ??= (import(url) as Promise<PdfjsWorkerModule>).catch((error: unknown) => {
    loadingWorker = undefined;
    throw error;
  });
  return loadingWorker;
}

/**
 * The package's own standard-font and CMap directories. In Node pdfjs reads these "URLs" with fs, so they
 * are plain paths; they must end with a separator because pdfjs appends file names to them.
 */
export function pdfjsAssetPaths(): { standardFontDataUrl: string; cMapUrl: string } {
  const root = pdfjsRoot();
  return { standardFontDataUrl: join(root, 'standard_fonts') + sep, cMapUrl: join(root, 'cmaps') + sep };
}
