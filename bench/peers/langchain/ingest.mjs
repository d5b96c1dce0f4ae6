// The peer pipeline bench/ingest compares Groundwork with: the LangChain.js way of ingesting a PDF into
// pgvector, written as its documentation shows it. PDFLoader (pdf-parse, one Document per page) →
// RecursiveCharacterTextSplitter (1000 characters, 200 overlap) → OpenAIEmbeddings against an
// OpenAI-compatible server → PGVectorStore with an HNSW (cosine) index created before the rows arrive, as
// Groundwork's index exists before its chunks do. Several --pdf files are ingested one after another, as a
// script written this way would; a file the loader cannot read is counted as failed and the next one goes on.
// Prints one line of JSON.
//   node ingest.mjs --pdf FILE [--pdf FILE]... --database-url URL --base-url URL [--model M] [--dimensions N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PDFLoader } from '@langchain/community/document_loaders/fs/pdf';
import { PGVectorStore } from '@langchain/community/vectorstores/pgvector';
import { OpenAIEmbeddings } from '@langchain/openai';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

const { values } = parseArgs({
  options: {
    pdf: { type: 'string', multiple: true },
    'database-url': { type: 'string' },
    'base-url': { type: 'string' },
    model: { type: 'string', default: 'text-embedding-3-small' },
    dimensions: { type: 'string', default: '1536' },
  },
});
const dimensions = Number(values.dimensions);

/** This process's peak resident set size (Linux VmHWM) in MB. */
function peakRssMb() {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number((Number(match[1]) / 1024).toFixed(1));
}

const embeddings = new OpenAIEmbeddings({
  model: values.model,
  dimensions,
  apiKey: 'bench',
  configuration: { baseURL: values['base-url'] },
});
const store = await PGVectorStore.initialize(embeddings, {
  postgresConnectionOptions: { connectionString: values['database-url'] },
  tableName: 'langchain_chunks',
  dimensions,
  distanceStrategy: 'cosine',
});
await store.createHnswIndex({ dimensions });

const started = Date.now();
const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 });
let pageCount = 0;
let chunkCount = 0;
const failed = [];
for (const pdf of values.pdf) {
  try {
    const pages = await new PDFLoader(pdf).load();
    const chunks = await splitter.splitDocuments(pages);
    await store.addDocuments(chunks);
    pageCount += pages.length;
    chunkCount += chunks.length;
  } catch (error) {
    failed.push({ file: pdf, error: String(error?.message ?? error).slice(0, 200) });
  }
}
const seconds = (Date.now() - started) / 1000;
await store.end();

console.log(JSON.stringify({
  documents: values.pdf.length - failed.length,
  failed,
  documents_per_second: Number(((values.pdf.length - failed.length) / seconds).toFixed(2)),
  pages: pageCount,
  chunks: chunkCount,
  seconds: Number(seconds.toFixed(2)),
  pages_per_second: Number((pageCount / seconds).toFixed(1)),
  chunks_per_second: Number((chunkCount / seconds).toFixed(1)),
  peak_rss_mb: peakRssMb(),
}));
