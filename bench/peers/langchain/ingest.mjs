// The peer pipeline bench/ingest compares Groundwork with: the LangChain.js way of ingesting a PDF into
// pgvector, written as its documentation shows it. PDFLoader (pdf-parse, one Document per page) →
// RecursiveCharacterTextSplitter (1000 characters, 200 overlap) → OpenAIEmbeddings against an
// OpenAI-compatible server → PGVectorStore with an HNSW (cosine) index created before the rows arrive, as
// Groundwork's index exists before its chunks do. Prints one line of JSON.
//   node ingest.mjs --pdf FILE --database-url URL --base-url URL [--model M] [--dimensions N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PDFLoader } from '@langchain/community/document_loaders/fs/pdf';
import { PGVectorStore } from '@langchain/community/vectorstores/pgvector';
import { OpenAIEmbeddings } from '@langchain/openai';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

const { values } = parseArgs({
  options: {
    pdf: { type: 'string' },
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
const pages = await new PDFLoader(values.pdf).load();
const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 });
const chunks = await splitter.splitDocuments(pages);
await store.addDocuments(chunks);
const seconds = (Date.now() - started) / 1000;
await store.end();

console.log(JSON.stringify({
  pages: pages.length,
  chunks: chunks.length,
  seconds: Number(seconds.toFixed(2)),
  pages_per_second: Number((pages.length / seconds).toFixed(1)),
  chunks_per_second: Number((chunks.length / seconds).toFixed(1)),
  peak_rss_mb: peakRssMb(),
}));
