// Ingests a large generated PDF through a freshly started api + worker (separate processes, own database)
// and prints JSON: pages, seconds, pages per second, chunks per second, worker peak RSS.
//   npm run bench:ingest -- [--pages 3500]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { uploadFile, waitForDocument } from '../test/support/http';
import { peakResidentBytes, spawnApp, stopProcess, waitForHttp } from '../test/support/processes';
import { writeTextPdf } from '../test/support/pdf-fixtures';
import { createTestEnv } from '../test/support/test-env';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '3500' } } });
const pageCount = Number(values.pages);

const sentences = [
  'The committee reviewed the quarterly figures and noted a steady rise in regional demand.',
  'Maintenance windows are scheduled on the first Sunday of each month to limit disruption.',
  'Every shipment is inspected twice before it leaves the warehouse, once by each shift.',
  'Travel expenses above the limit require approval from the department head in writing.',
  'The new onboarding programme pairs each employee with a mentor for the first ninety days.',
];
const pageText = (n: number) =>
  Array.from({ length: 24 }, (_, i) => `${n}.${i} ${sentences[(n + i) % sentences.length]}`).join('\n');

async function main(): Promise<void> {
  const env = await createTestEnv({ PORT: String(30_000 + Math.floor(Math.random() * 20_000)), LOG_LEVEL: 'error', MAX_UPLOAD_BYTES: String(1024 ** 3) });
  const pdfPath = join(env.config.dataDir, 'bench.pdf');
  await writeTextPdf(pdfPath, Array.from({ length: pageCount }, (_, i) => pageText(i + 1)));

  const api = spawnApp('api', env.env);
  const worker = spawnApp('worker', env.env, ['--max-semi-space-size=8']);
  const baseUrl = `http://127.0.0.1:${env.config.port}`;
  try {
    await waitForHttp(`${baseUrl}/health/ready`, api);
    const started = Date.now();
    const upload = await uploadFile(baseUrl, { path: pdfPath });
    if (upload.status !== 202) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
    const doc = await waitForDocument(baseUrl, upload.body.document_id, 30 * 60_000);
    const seconds = (Date.now() - started) / 1000;
    const peakRss = peakResidentBytes(worker.pid!);
    if (doc.status !== 'ready') throw new Error(`ingestion failed: ${JSON.stringify(doc.error)}`);
    console.log(JSON.stringify({
      pages: doc.page_count,
      chunks: doc.chunk_count,
      seconds: Number(seconds.toFixed(2)),
      pages_per_second: Number((doc.page_count / seconds).toFixed(1)),
      chunks_per_second: Number((doc.chunk_count / seconds).toFixed(1)),
      worker_peak_rss_mb: Number((peakRss / 1024 / 1024).toFixed(1)),
      embedding_provider: env.config.embedding.provider,
    }));
  } finally {
    await Promise.all([stopProcess(api), stopProcess(worker)]);
    await env.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
