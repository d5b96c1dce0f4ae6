import module from 'node:module';

const CANVAS_PACKAGE = '@napi-rs/canvas';
const STUB_URL = 'file:///groundwork/pdfjs-canvas-stub.cjs';

/** Stands in for rendering-only browser classes; constructing one means something started rendering. */
class RenderingUnavailable {
  constructor() {
    throw new Error('PDF rendering is not available in a text extraction process');
  }
}

/**
 * Keeps pdfjs from loading @napi-rs/canvas. Its Node build requires the package (a 35 MB Skia addon) as soon
 * as it is imported, only to polyfill DOMMatrix and Path2D for rendering; text extraction never renders, and
 * the addon costs each extraction process 15–25 MB of resident memory. The package resolves to an empty
 * module here, and the two classes exist (so pdfjs does not warn) but refuse to be used. Call before pdfjs is
 * first imported, in a process (or thread) that only extracts text.
 */
export function keepPdfjsFromLoadingCanvas(): void {
  // module.registerHooks arrived in Node 22.15; without it pdfjs just loads the addon.
  if (typeof module.registerHooks !== 'function') return;
  module.registerHooks({
    resolve: (specifier, context, nextResolve) =>
      specifier === CANVAS_PACKAGE ? { url: STUB_URL, format: 'commonjs', shortCircuit: true } : nextResolve(specifier, context),
    load: (url, context, nextLoad) =>
      url === STUB_URL ? { format: 'commonjs', source: 'module.exports = {};', shortCircuit: true } : nextLoad(url, context),
  });
  const scope = globalThis as Record<string, unknown>;
  scope.DOMMatrix ??= RenderingUnavailable;
  scope.Path2D ??= RenderingUnavailable;
}
