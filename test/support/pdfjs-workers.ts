import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api';
import { loadPdfjs, loadPdfjsWorker, PdfjsWorkerModule, pdfjsAssetPaths, pdfjsWorkerUrl } from '../../libs/pdf/src/pdfjs';
import { SameThreadPort } from '../../libs/pdf/src/same-thread-port';

/**
 * The items of every page's text content (or the error reading it, as 'error: <message>'), read in order as
 * PdfSession does, through pdfjs's worker module `worker`, with the document's caches cleaned up every
 * `cleanupEvery` pages. A font's name loses the document number pdfjs puts in it (g_d3_f1 is f1), the one thing
 * that differs between two loads of a file.
 */
export async function readTextContent(data: Uint8Array, worker: PdfjsWorkerModule, cleanupEvery = 7): Promise<Array<Array<TextItem | TextMarkedContent> | string>> {
  const pdfjs = await loadPdfjs();
  const port = new SameThreadPort();
  worker.WorkerMessageHandler.initializeFromPort(port);
  const pdfWorker = new pdfjs.PDFWorker({ port: port as unknown as null });
  const loadingTask = pdfjs.getDocument({ data: data.slice(), worker: pdfWorker, verbosity: 0, ...pdfjsAssetPaths() });
  try {
    const document = await loadingTask.promise;
    const pages: Array<Array<TextItem | TextMarkedContent> | string> = [];
    for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
      try {
        const page = await document.getPage(pageNumber);
        const content = await page.getTextContent();
        pages.push(content.items.map((item) => ('fontName' in item ? { ...item, fontName: item.fontName.replace(/^g_d\d+_/, '') } : item)));
      } catch (error) {
        pages.push(`error: ${(error as Error).message}`);
      }
      if (pageNumber % cleanupEvery === 0) await document.cleanup();
    }
    return pages;
  } finally {
    await loadingTask.destroy();
    pdfWorker.destroy();
    port.terminate();
  }
}

/**
 * Every page's text content read with the worker module as this project loads it (patched) and with pdfjs's own
 * (the same file loaded under another URL, which the load hooks leave alone).
 */
export async function readTextContentBothWays(data: Uint8Array): Promise<{ patched: Awaited<ReturnType<typeof readTextContent>>; original: Awaited<ReturnType<typeof readTextContent>> }> {
  const original = (await import(`${pdfjsWorkerUrl()}?unpatched`)) as PdfjsWorkerModule;
  return { patched: await readTextContent(data, await loadPdfjsWorker()), original: await readTextContent(data, original) };
}

/** A PDF (classic xref table) whose objects 1, 2, … are `objects`' bodies; object 1 is the catalog. */
export function pdfFromObjects(objects: readonly string[]): Buffer {
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
