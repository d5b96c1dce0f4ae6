import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

/** The installed pdfjs's worker module source, as its patches find it before they apply. */
export function pdfjsWorkerSource(): string {
  return readFileSync(fileURLToPath(pdfjsWorkerUrl()), 'utf8');
}

/** A page's text: its items' strings joined, marked-content items adding nothing. */
export function itemsText(items: Array<TextItem | TextMarkedContent>): string {
  return items.map((item) => ('str' in item ? item.str : '')).join('');
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

/** A stream object's body: `content` under a dictionary with `entries` and its length. */
const stream = (content: string, entries = '') => `<< ${entries} /Length ${content.length} >>\nstream\n${content}\nendstream`;

/**
 * A PDF whose pages take every branch of pdfjs's text layout that the patches of its text extraction touch
 * (pdfjs-text-transforms.ts, pdfjs-text-state-clone.ts): kerning gaps and spaces kerned back that become
 * whitespace items (whose transform is the remembered position), backward moves, line breaks, word and
 * character spacing, horizontal scaling, rise, a scaled CTM, a form XObject, text off the page, text turned by
 * 90, 180 and 270 degrees and by 30, skewed text, and a Type3 font at sizes of 1 and below with a non-identity
 * font matrix (the glyph-height branch); text states saved and restored (`q`, `Q`), nested, and changed inside.
 */
export function textLayoutPdf(): Buffer {
  const pages = [
    `BT /F1 12 Tf 14 TL 72 720 Td [(Hello) -250 (World) -2000 (far) 300 (back) -600 (gap)] TJ T* (Next line, with spaces  and  more.) Tj
     T* [(A space ) 200 (kerned back) (over ) 150 (it)] TJ
     3 Tw 1.5 Tc (Word and character spacing) ' 0 Tw 0 Tc 80 Tz (Scaled horizontally) ' 100 Tz
     (Base) Tj 4 Ts (super) Tj -3 Ts (sub) Tj 0 Ts ( again) Tj ET
     q 2 0 0 2 36 0 cm BT /F1 9 Tf 20 200 Td (Under a scaled CTM) Tj [(a) -3000 (b)] TJ ET Q
     q 1 0 0 1 50 100 cm /X1 Do Q
     BT /F1 11 Tf 72 120 Td (Outer) Tj q 2 Tc 110 Tz /F2 1 Tf (ab) Tj q 1 Tw 5 Ts /F1 8 Tf (inner  state) Tj Q (ba) Tj Q (outer again) Tj ET
     BT /F1 12 Tf -900 500 Td (Off the page) Tj 1000 0 Td (back on it) Tj ET`,
    `BT /F1 12 Tf 0 1 -1 0 300 200 Tm [(Turned) -1500 (ninety)] TJ T* (degrees) Tj ET
     BT /F1 12 Tf -1 0 0 -1 400 500 Tm [(Upside) -1500 (down)] TJ ET
     BT /F1 12 Tf 0 -1 1 0 100 600 Tm [(Turned) -1500 (270)] TJ ET
     BT /F1 12 Tf 0.866 0.5 -0.5 0.866 200 300 Tm [(Thirty) -1500 (degrees)] TJ ET
     BT /F1 12 Tf 1 0 0.3 1 100 100 Tm (Skewed text) Tj [(more) -2000 (skew)] TJ ET`,
    `BT /F2 1 Tf 12 0 0 12 72 700 Tm (abab) Tj [(ab) -3000 (ba)] TJ /F2 0.5 Tf (abba) Tj ET
     BT /F2 10 Tf 72 600 Td (abab) Tj ET`,
  ];
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '', // the page tree, below
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type3 /FontBBox [0 -200 600 800] /FontMatrix [0.001 0 0 0.0012 0 0] /CharProcs << /a 5 0 R /b 5 0 R >> ' +
      '/Encoding << /Type /Encoding /Differences [97 /a /b] >> /FirstChar 97 /LastChar 98 /Widths [500 600] /Resources << >> >>',
    stream('500 0 0 0 500 700 d1 0 0 500 700 re f'),
    stream('BT /F1 10 Tf 10 10 Td [(In a form) -2500 (XObject)] TJ ET', '/Type /XObject /Subtype /Form /BBox [0 0 300 300] /Resources << /Font << /F1 3 0 R >> >>'),
  ];
  const kids: number[] = [];
  for (const content of pages) {
    const contentObject = objects.push(stream(content));
    kids.push(
      objects.push(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /X1 6 0 R >> >> /Contents ${contentObject} 0 R >>`,
      ),
    );
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((kid) => `${kid} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  return pdfFromObjects(objects);
}
