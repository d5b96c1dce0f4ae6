// Entry point of a PDF extraction process (see ExtractionProcess). pdfjs parses synchronously for tens of
// milliseconds at a time; here it does so in a process of its own, so the worker's event loop (BullMQ lock
// renewal, database writes, HTTP) never waits on it — and a page that exhausts this process's heap (a
// decompression bomb) kills this process, not the worker. (A worker thread's heap limit is no such
// boundary: Node aborts the whole process when a thread runs out of heap while allocating a large block.)
import { keepPdfjsFromLoadingCanvas } from './canvas-stub';
import { ExtractionMessage, ExtractionProcessData, ExtractionRequest, ReadPagesMessage, serializeError } from './extraction-process.messages';
import { openPdf, PdfReader } from './pdf-reader';

keepPdfjsFromLoadingCanvas();

const data = JSON.parse(process.argv[2]) as ExtractionProcessData;
const post = (message: ExtractionMessage) => process.send!(message);

// The worker died (even by SIGKILL): the IPC channel closes, and an orphan must not live on.
process.on('disconnect', () => process.exit(0));

async function readPages(pdf: PdfReader, request: ReadPagesMessage): Promise<void> {
  try {
    for (let pageNumber = request.from; pageNumber <= request.to; pageNumber++) {
      post({ type: 'page', pageNumber, text: await pdf.readPageText(pageNumber) });
    }
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'failed', error: serializeError(error) });
  }
}

async function main(): Promise<void> {
  let pdf: PdfReader;
  try {
    pdf = await openPdf(data.filePath, { maxPages: data.maxPages, maxPageCharacters: data.maxPageCharacters });
  } catch (error) {
    post({ type: 'failed', error: serializeError(error) });
    return;
  }
  post({ type: 'opened', pageCount: pdf.pageCount });
  // Requests are served one at a time, in order: the reader reads one page at a time, and the worker matches
  // answers to requests by order.
  let queue = Promise.resolve();
  process.on('message', (request: ExtractionRequest) => {
    queue = queue.then(async () => {
      if (request.type === 'read') return readPages(pdf, request);
      await pdf.close();
      process.disconnect();
    });
  });
}

void main();
