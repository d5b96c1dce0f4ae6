// Entry point of a PDF extraction thread (see ExtractionThread). pdfjs parses synchronously for tens of
// milliseconds at a time; here it does so on its own thread, so the worker's event loop (BullMQ lock renewal,
// database writes, HTTP) never waits on it, and a page that exhausts this thread's heap kills the thread,
// not the worker.
import { parentPort, workerData } from 'node:worker_threads';
import { ExtractionThreadData, ExtractionThreadMessage, ExtractionThreadRequest, ReadPagesMessage, serializeError } from './extraction-thread.messages';
import { openPdf, PdfReader } from './pdf-reader';

const port = parentPort!;
const data = workerData as ExtractionThreadData;
const post = (message: ExtractionThreadMessage) => port.postMessage(message);

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
  // Requests are served one at a time, in order: the reader reads one page at a time, and the main thread
  // matches answers to requests by order.
  let queue = Promise.resolve();
  port.on('message', (request: ExtractionThreadRequest) => {
    queue = queue.then(async () => {
      if (request.type === 'read') return readPages(pdf, request);
      await pdf.close();
      port.close(); // nothing else keeps the thread alive, so it ends
    });
  });
}

void main();
