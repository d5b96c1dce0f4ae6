// Ingests a large PDF through a freshly started api + worker (separate processes, own database), embedding
// against an OpenAI-compatible server on localhost, then runs the LangChain.js peer pipeline on the same file
// against the same server, and prints JSON: pages/s, chunks/s, worker peak RSS and embedding requests of each.
//   npm run bench:ingest -- [--pages 3500] [--dimensions 1536] [--embedder openai|local] [--source real.pdf]
//                           [--file real.pdf | --dir folder/]
//                           [--chunk-tokens 500 --chunk-overlap 80]
//                           [--embedding-latency-ms 0] [--set NAME=VALUE]... [--worker-flags="..."] [--no-peer]
//                           [--workers 1,2]
// --source: a real PDF, concatenated with qpdf until it has --pages pages (default: a generated text PDF).
// --file: one real PDF, ingested as it is (--pages is ignored).
// --dir: every PDF in a folder (e.g. ../shared/datasets/pdfs), uploaded to Groundwork as one batch and given to
//        the peer as a list it ingests one after another; documents/s compares the two. A document that fails
//        (with its code) is listed, not counted.
// --embedder local: Groundwork embeds offline (no server calls); the peer still uses the server.
// --set: an environment variable for Groundwork's processes (e.g. --set PDF_EXTRACT_PROCESSES=2); it also
//        overrides the worker's runtime settings from apps/worker/worker.env (e.g. --set MALLOC_ARENA_MAX=8).
// --worker-flags: extra Node flags on the worker's command line (they win over NODE_OPTIONS from worker.env).
// --workers N[,M...]: worker processes ingesting together, each with its own DATA_DIR as on its own machine
//        (sharing only PostgreSQL and Redis); a list runs once per count, each on a fresh database (a file
//        ingested before would be copied, not ingested), and `scale_out` gives pages/s per count and the ratio
//        of the last to the first. `groundwork` (and the peer comparison) is the first count's run.
// --text-mb N: ingests a generated plain-text file of N MB of short lines instead of a PDF (no peer run); the
//        figures then include the document's outcome (ready, or failed with its code, e.g. too_much_text past
//        MAX_DOCUMENT_CHARACTERS) and whether the worker process survived.
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readdir } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { uploadFile, waitForDocument } from '../test/support/http';
import { writeTextPdf } from '../test/support/pdf-fixtures';
import { freePort } from '../test/support/ports';
import { peakResidentBytes, recentOutput, spawnApp, stopProcess, waitForHttp, workerEnvironment } from '../test/support/processes';
import { createTestEnv, TestEnv } from '../test/support/test-env';
import { settingsFrom } from './bench-system';
import { PeerFigures, runLangchainPeer } from './peers/langchain-peer';
import { CpuFigures, sampleCpu } from './process-cpu';
import { sampleProcessTreeRss } from './process-tree-memory';
import { writeRepeatedPdf } from './repeated-pdf';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '3500' },
    dimensions: { type: 'string', default: '1536' },
    embedder: { type: 'string', default: 'openai' },
    source: { type: 'string' },
    file: { type: 'string' },
    dir: { type: 'string' },
    'chunk-tokens': { type: 'string' },
    'chunk-overlap': { type: 'string' },
    'embedding-latency-ms': { type: 'string', default: '0' },
    set: { type: 'string', multiple: true, default: [] },
    'worker-flags': { type: 'string', default: '' },
    'no-peer': { type: 'boolean', default: false },
    'text-mb': { type: 'string' },
    workers: { type: 'string', default: '1' },
  },
});
const workerCounts = values.workers!.split(',').map((count) => Number(count.trim()));
if (workerCounts.some((count) => !Number.isInteger(count) || count < 1 || count > 16)) throw new Error(`--workers takes counts from 1 to 16, got "${values.workers}"`);
const textMb = values['text-mb'] === undefined ? null : Number(values['text-mb']);
const settings = settingsFrom(values.set!);
const pageCount = Number(values.pages);
const dimensions = Number(values.dimensions);
const MODEL = 'text-embedding-3-small';

const sentences = [
  'The committee reviewed the quarterly figures and noted a steady rise in regional demand.',
  'Maintenance windows are scheduled on the first Sunday of each month to limit disruption.',
  'Every shipment is inspected twice before it leaves the warehouse, once by each shift.',
  'Travel expenses above the limit require approval from the department head in writing.',
  'The new onboarding programme pairs each employee with a mentor for the first ninety days.',
];
const pageText = (n: number) =>
  Array.from({ length: 24 }, (_, i) => `${n}.${i} ${sentences[(n + i) % sentences.length]}`).join('\n');

/** The benchmark PDF: a real one repeated with qpdf, or a generated text PDF. */
async function buildPdf(path: string): Promise<void> {
  if (!values.source) {
    await writeTextPdf(path, Array.from({ length: pageCount }, (_, i) => pageText(i + 1)));
    return;
  }
  await writeRepeatedPdf(values.source, pageCount, path);
}

/** The text benchmark file: `textMb` MB of short lines (a log or a list), a paragraph break now and then. */
async function buildText(path: string, megabytes: number): Promise<void> {
  const out = createWriteStream(path);
  let written = 0;
  for (let n = 0; written < megabytes * 1024 * 1024; n++) {
    const line = `${n} ${sentences[n % sentences.length].slice(0, 20 + (n % 17))}\n${n % 40 === 39 ? '\n' : ''}`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The OpenAI-compatible embedding server (bench/embedding-server.ts) in its own process. */
async function startEmbeddingServer(): Promise<{ process: ChildProcess; baseUrl: string; stats(): Promise<{ requests: number; inputs: number }> }> {
  const child = spawn(process.execPath, [join(__dirname, 'embedding-server.js'), '--latency-ms', values['embedding-latency-ms']!], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
  if (firstLine.done) throw new Error('the embedding server exited before printing its URL');
  const baseUrl = String(firstLine.value).trim();
  const statsUrl = baseUrl.replace(/\/v1$/, '/stats');
  return { process: child, baseUrl, stats: async () => (await fetch(statsUrl)).json() as Promise<{ requests: number; inputs: number }> };
}

/** The peer's figures (peak_rss_mb: the worker and its extraction processes, sampled every 50 ms), and more. */
interface Figures extends Omit<PeerFigures, 'failed'> {
  /** The last document's status (the only one's, unless --dir), and the documents that did not become ready. */
  status: string;
  error_code: string | null;
  failed: Array<{ file: string; status: string; code: string | null }>;
  /** How the worker ended while ingesting, when it did not survive (e.g. a heap out-of-memory abort). */
  worker_exit: string | null;
  /** The worker process's own high-water mark (VmHWM), extraction processes not included. */
  worker_process_peak_rss_mb: number;
  embedding_requests: number;
  embedded_inputs: number;
  /**
   * CPU seconds of the worker, its extraction processes and its database's backends while ingesting; null
   * with several workers (the database's backends serve them all and could not be told apart).
   */
  cpu: CpuFigures | null;
}

async function runGroundwork(env: TestEnv, paths: string[], server: Awaited<ReturnType<typeof startEmbeddingServer>>, workerCount: number): Promise<Figures> {
  const api = spawnApp('api', env.env);
  // Each worker on its own DATA_DIR, as on a machine of its own: the blobs come from the shared store.
  const workers = Array.from({ length: workerCount }, (_, i) =>
    spawnApp('worker', { ...env.env, DATA_DIR: join(env.config.dataDir, `worker-${i + 1}`) }, values['worker-flags']!.split(/\s+/).filter(Boolean)),
  );
  // Memory and CPU are the first worker's (and, for CPU, the database's backends: only with one worker).
  const worker = workers[0];
  const baseUrl = `http://127.0.0.1:${env.config.port}`;
  try {
    await waitForHttp(`${baseUrl}/health/ready`, api);
    const fields: Record<string, string> = {};
    if (values['chunk-tokens']) fields.chunk_tokens = values['chunk-tokens'];
    if (values['chunk-overlap']) fields.chunk_overlap = values['chunk-overlap'];
    const before = await server.stats();
    const memory = sampleProcessTreeRss(worker.pid!);
    const cpu = workerCount === 1 ? sampleCpu(worker.pid!, new URL(env.config.databaseUrl).pathname.slice(1), availableParallelism()) : null;
    const started = Date.now();
    // All uploads first, then the wait: a batch, as a client sending a folder would.
    const ids: string[] = [];
    for (const path of paths) {
      const upload = await uploadFile(baseUrl, { path }, fields);
      if (upload.status !== 202) throw new Error(`upload of ${path} failed: ${JSON.stringify(upload.body)}`);
      ids.push(upload.body.document_id);
    }
    // A worker that dies (out of memory) never finishes the documents: its exit ends the wait.
    const exited = Promise.race(workers.map((each) => new Promise<string>((resolve) => each.once('exit', (code, signal) => resolve(`code ${code}, signal ${signal}`)))));
    const outcome = await Promise.race([waitForAll(baseUrl, ids), exited]);
    const seconds = (Date.now() - started) / 1000;
    const peakTreeRss = memory.stop();
    const cpuFigures = cpu?.stop() ?? null;
    const peakRss = peakResidentBytes(worker.pid!);
    if (typeof outcome === 'string') {
      const fatal = /FATAL ERROR[^\n]*|JavaScript heap out of memory/.exec(recentOutput(worker))?.[0] ?? '';
      return { ...emptyFigures(seconds, peakTreeRss), status: 'worker died', error_code: null, failed: [], worker_exit: `${outcome} ${fatal}`.trim() };
    }
    const failed = outcome.flatMap((doc, i) => (doc.status === 'ready' ? [] : [{ file: basename(paths[i]), status: String(doc.status), code: doc.error?.code ?? null }]));
    if (failed.length > 0 && paths.length === 1 && textMb === null) throw new Error(`ingestion failed: ${JSON.stringify(outcome[0].error)}`);
    const ready = outcome.filter((doc) => doc.status === 'ready');
    const pages = ready.reduce((sum, doc) => sum + (doc.page_count ?? 0), 0);
    const chunks = ready.reduce((sum, doc) => sum + (doc.chunk_count ?? 0), 0);
    const last = outcome[outcome.length - 1];
    const after = await server.stats();
    return {
      status: last.status,
      error_code: last.error?.code ?? null,
      failed,
      worker_exit: worker.exitCode === null && worker.signalCode === null ? null : `code ${worker.exitCode}, signal ${worker.signalCode}`,
      documents: ready.length,
      documents_per_second: round(ready.length / seconds, 2),
      pages,
      chunks,
      seconds: round(seconds, 2),
      pages_per_second: round(pages / seconds, 1),
      chunks_per_second: round(chunks / seconds, 1),
      peak_rss_mb: round(Math.max(peakTreeRss, peakRss) / 1024 / 1024, 1),
      worker_process_peak_rss_mb: round(peakRss / 1024 / 1024, 1),
      embedding_requests: after.requests - before.requests,
      embedded_inputs: after.inputs - before.inputs,
      cpu: cpuFigures,
    };
  } finally {
    await Promise.all([stopProcess(api), ...workers.map((each) => stopProcess(each))]);
  }
}

/** Waits for the documents one after another: they are ingested meanwhile, and one poll at a time stays under the rate limit. */
async function waitForAll(baseUrl: string, ids: string[]): Promise<Awaited<ReturnType<typeof waitForDocument>>[]> {
  const documents = [];
  for (const id of ids) documents.push(await waitForDocument(baseUrl, id, 60 * 60_000));
  return documents;
}

function emptyFigures(seconds: number, peakTreeRss: number): Omit<Figures, 'status' | 'error_code' | 'failed' | 'worker_exit'> {
  const peak = round(peakTreeRss / 1024 / 1024, 1);
  return { documents: 0, documents_per_second: 0, pages: 0, chunks: 0, seconds: round(seconds, 2), pages_per_second: 0, chunks_per_second: 0, peak_rss_mb: peak, worker_process_peak_rss_mb: peak, embedding_requests: 0, embedded_inputs: 0, cpu: null };
}

/** A fresh database, Redis prefix and DATA_DIR for one run of Groundwork. */
async function groundworkEnv(server: Awaited<ReturnType<typeof startEmbeddingServer>>): Promise<TestEnv> {
  return createTestEnv({
    PORT: String(await freePort()),
    LOG_LEVEL: 'error',
    MAX_UPLOAD_BYTES: String(1024 ** 3),
    // The bench is one client polling many documents, not a test of the rate limit.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...(values.embedder === 'local'
      ? { EMBEDDING_PROVIDER: 'local' }
      : { EMBEDDING_PROVIDER: 'openai', OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: server.baseUrl, EMBEDDING_MODEL: MODEL, EMBEDDING_DIMENSION: String(dimensions) }),
    LLM_PROVIDER: 'extractive',
    ...settings,
  });
}

async function main(): Promise<void> {
  const server = await startEmbeddingServer();
  const envs = [await groundworkEnv(server)];
  const env = envs[0];
  const peerEnv = values['no-peer'] || textMb !== null ? null : await createTestEnv();
  try {
    const paths = await benchFiles(env);
    const runs: Array<Figures & { workers: number }> = [];
    for (const [i, workerCount] of workerCounts.entries()) {
      if (i > 0) envs.push(await groundworkEnv(server));
      runs.push({ workers: workerCount, ...(await runGroundwork(envs[i], paths, server, workerCount)) });
    }
    const groundwork = runs[0];
    let peer: (PeerFigures & { embedding_requests: number; embedded_inputs: number }) | null = null;
    if (peerEnv) {
      const before = await server.stats();
      const figures = await runLangchainPeer({ pdfPaths: paths, databaseUrl: peerEnv.config.databaseUrl, baseUrl: server.baseUrl, model: MODEL, dimensions });
      const after = await server.stats();
      peer = { ...figures, embedding_requests: after.requests - before.requests, embedded_inputs: after.inputs - before.inputs };
    }
    console.log(JSON.stringify({
      pdf: describePdfs(paths),
      text: textMb === null ? null : `generated, ${textMb} MB of short lines`,
      embedding: {
        groundwork: values.embedder === 'local' ? `local (${env.config.embedding.model}, ${env.config.embedding.dimension} dimensions)` : `${MODEL}, ${dimensions} dimensions`,
        peer: `${MODEL}, ${dimensions} dimensions`,
        server: 'bench/embedding-server (localhost)',
        latency_ms: Number(values['embedding-latency-ms']),
      },
      settings,
      worker_environment: { ...workerEnvironment(), ...pick(settings, Object.keys(workerEnvironment())) },
      worker_flags: values['worker-flags'],
      groundwork,
      scale_out:
        runs.length > 1
          ? {
              runs: runs.map((run) => ({ workers: run.workers, documents: run.documents, pages: run.pages, seconds: run.seconds, pages_per_second: run.pages_per_second, failed: run.failed.length })),
              pages_per_second_ratio: round(runs[runs.length - 1].pages_per_second / runs[0].pages_per_second, 2),
            }
          : null,
      langchain: peer,
      ratio: peer
        ? {
            ...(paths.length > 1 ? { documents_per_second: round(groundwork.documents_per_second / peer.documents_per_second, 2) } : {}),
            pages_per_second: round(groundwork.pages_per_second / peer.pages_per_second, 2),
            peak_rss: round(groundwork.peak_rss_mb / peer.peak_rss_mb, 2),
          }
        : null,
    }, null, 2));
  } finally {
    server.process.kill('SIGTERM');
    for (const each of envs) await each.cleanup();
    await peerEnv?.cleanup();
  }
}

/** The files to ingest: --dir's PDFs, --file, or the generated (or repeated) PDF or text file. */
async function benchFiles(env: TestEnv): Promise<string[]> {
  if (values.dir) {
    const names = (await readdir(values.dir)).filter((name) => name.toLowerCase().endsWith('.pdf')).sort();
    if (names.length === 0) throw new Error(`no PDF in ${values.dir}`);
    return names.map((name) => resolve(values.dir!, name));
  }
  if (values.file) return [resolve(values.file)];
  const path = join(env.config.dataDir, textMb === null ? 'bench.pdf' : 'bench.txt');
  if (textMb === null) await buildPdf(path);
  else await buildText(path, textMb);
  return [path];
}

function describePdfs(paths: string[]): string | null {
  if (textMb !== null) return null;
  if (values.dir) return `${paths.length} PDFs in ${values.dir}`;
  if (values.file) return values.file;
  return values.source ? `${values.source} repeated to ${pageCount} pages` : `generated, ${pageCount} pages`;
}

function pick(from: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => key in from).map((key) => [key, from[key]]));
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
