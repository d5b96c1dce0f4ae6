// Entry point of an extraction process (see ExtractionProcess): every untrusted file is parsed here, a PDF by
// pdfjs, Markdown and text by the section splitter. pdfjs parses synchronously for tens of milliseconds at a
// time; here it does so in a process of its own, so the worker's event loop (BullMQ lock renewal, database
// writes, HTTP) never waits on it — and a file that exhausts this process's heap (a decompression bomb, or
// whatever defeats the text splitter's bounds) kills this process, not the worker. (A worker thread's heap
// limit is no such boundary: Node aborts the whole process when a thread runs out of heap while allocating a
// large block.)
import { keepPdfjsFromLoadingCanvas } from './canvas-stub';
import { inflateFlateStreamsInline } from './inline-inflate';
import { ExtractionMessage, ExtractionProcessData, ExtractionRequest, OpenMessage, ReadPagesMessage, serializeError } from './extraction-process.messages';
import { openPdf, PdfReader } from './pdf-reader';
import { loadPdfjs, loadPdfjsWorker } from './pdfjs';
import { openTextSections } from './text-reader';

keepPdfjsFromLoadingCanvas();
inflateFlateStreamsInline();

const post = (message: ExtractionMessage) => process.send!(message);

// The worker died (even by SIGKILL): the IPC channel closes, and an orphan must not live on.
process.on('disconnect', () => process.exit(0));

async function readPages(reader: PdfReader, request: ReadPagesMessage): Promise<void> {
  try {
    for (let pageNumber = request.from; pageNumber <= request.to; pageNumber++) {
      post({ type: 'page', pageNumber, text: await reader.readPageText(pageNumber) });
    }
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'failed', error: serializeError(error) });
  }
}

async function main(data: ExtractionProcessData): Promise<void> {
  let reader: PdfReader;
  try {
    reader =
      data.format === 'pdf'
        ? await openPdf(data.filePath, { maxPages: data.maxPages, maxPageCharacters: data.maxPageCharacters })
        : await openTextSections(data.filePath, { maxDocumentCharacters: data.maxDocumentCharacters, onProgress: () => post({ type: 'progress' }) });
  } catch (error) {
    post({ type: 'failed', error: serializeError(error) });
    return;
  }
  post({ type: 'opened', pageCount: reader.pageCount });
  // Requests are served one at a time, in order: the reader reads one page at a time, and the worker matches
  // answers to requests by order.
  let queue = Promise.resolve();
  const serve = (request: ExtractionRequest) => {
    queue = queue.then(async () => {
      if (request.type === 'read') return readPages(reader, request);
      await reader.close();
      if (request.type === 'close') return process.disconnect();
      // Released: the document is closed (pdfjs's included); wait for the next one.
      process.off('message', serve);
      process.once('message', (open: OpenMessage) => void main(open.data));
      post({ type: 'released' });
    });
  };
  process.on('message', serve);
}

// The process is started before it has a document, and may serve several one after another (see
// IdleProcesses in extraction-process.ts): an `open` message names each. A PDF process loads pdfjs and its
// worker half meanwhile, the part of opening that no file decides.
process.once('message', (open: OpenMessage) => void main(open.data));
// A failed preload is not this process's failure: opening loads pdfjs again and reports what goes wrong then.
if (process.argv[2] === 'pdf') loadPdfjs().then(loadPdfjsWorker).catch(() => undefined);
