// What PostgreSQL spends writing a real document's chunks, and on what: the chunks of a PDF (extracted and
// chunked as ingestion does) are upserted through ChunksRepository.upsertMany in ingestion's batches, with
// deterministic random unit vectors, into a scratch database shaped one way per --variant; prints JSON with the
// CPU seconds of the database's backends (from /proc) per variant. Variants change the scratch database only:
//   full       the schema as migrated
//   nohnsw     without the HNSW index            nogin      without the BM25 terms index
//   nostats    without the BM25 statistics trigger
//   ginnofast  the BM25 terms index without its pending list (fastupdate off); gin16mb with a 16 MB one
//   ef32 / m8  the HNSW index with ef_construction 32 / m 8 (a recall trade: a ranking decision, not made here)
//   m<M>ef<EF> the HNSW index built WITH (m = M, ef_construction = EF), e.g. m8ef40, m16ef64 (pgvector's own defaults)
// Run variants alternately (the machine is shared) and compare them within one run.
// --pages N: the PDF repeated with qpdf to N pages, as bench:ingest --source does. --vectors text: each chunk's
// vector derived from its text (as bench:ingest's embedding server does), so repeated texts repeat vectors.
// --concurrency N[,M...]: up to N batches upserted at once, each on its own connection, as the embed step's
// batches in flight can be (EMBEDDING_CONCURRENCY); 1 writes them one after another. A list runs every variant
// at each count in turn, within each round.
//   npm run bench:chunk-writes -- --file real.pdf [--variants full,nohnsw,nogin,ef32,m8] [--documents 1] [--rounds 2]
//                                 [--pages 3500] [--vectors random|text] [--concurrency 1]
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fakeEmbedding } from '../test/support/fake-openai';
import { seededUnitVector } from '../test/support/seeded-vectors';
import { Chunk, Chunker, PageCleaner } from '@app/chunking';
import { ChunksRepository, CollectionsRepository, createPool, IngestionAttempt } from '@app/database';
import { PageExtractor } from '@app/pdf';
import { createTestDocument, startTestAttempt } from '../test/support/test-documents';
import { createTestEnv } from '../test/support/test-env';
import { forEachConcurrently } from './beir-dataset';
import { sampleCpu } from './process-cpu';
import { writeRepeatedPdf } from './repeated-pdf';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    variants: { type: 'string', default: 'full,nohnsw,nogin,nostats' },
    documents: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    pages: { type: 'string' },
    vectors: { type: 'string', default: 'random' },
    concurrency: { type: 'string', default: '1' },
  },
});
const DIMENSION = 1536;

const VARIANTS: Record<string, string[]> = {
  full: [],
  nohnsw: [`DROP INDEX chunk_vectors_hnsw_${DIMENSION}`],
  nogin: ['DROP INDEX chunks_bm25_terms_idx'],
  nostats: ['ALTER TABLE chunks DISABLE TRIGGER chunks_bm25_insert'],
  ginnofast: ['ALTER INDEX chunks_bm25_terms_idx SET (fastupdate = off)'],
  gin16mb: ['ALTER INDEX chunks_bm25_terms_idx SET (gin_pending_list_limit = 16384)'],
  ef32: hnsw('WITH (ef_construction = 32)'),
  m8: hnsw('WITH (m = 8)'),
};

/** A named variant, or m<M>ef<EF>: the HNSW index with those build parameters. */
function statementsOf(variant: string): string[] | undefined {
  if (variant in VARIANTS) return VARIANTS[variant];
  const built = /^m(\d+)ef(\d+)$/.exec(variant);
  return built ? hnsw(`WITH (m = ${built[1]}, ef_construction = ${built[2]})`) : undefined;
}

function hnsw(options: string): string[] {
  return [
    `DROP INDEX chunk_vectors_hnsw_${DIMENSION}`,
    `CREATE INDEX chunk_vectors_variant ON chunk_vectors USING hnsw ((embedding::halfvec(${DIMENSION})) halfvec_cosine_ops) ${options} WHERE embedding_dim = ${DIMENSION}`,
  ];
}

async function chunksOf(path: string): Promise<Chunk[]> {
  const extractor = await PageExtractor.open({ path, format: 'pdf' }, { processes: 1, pageTimeoutMs: 60_000, heapLimitMb: 96 }, 16);
  const chunker = new Chunker({ chunkTokens: 500, overlapTokens: 80 }, new PageCleaner());
  const chunks: Chunk[] = [];
  for await (const window of extractor.windows(0, 16)) for (const page of window) chunks.push(...chunker.push(page));
  chunks.push(...chunker.finish());
  await extractor.close();
  return chunks;
}

function vectorOf(chunk: Chunk, document: number): Float32Array {
  return values.vectors === 'text' ? Float32Array.from(fakeEmbedding(chunk.text, DIMENSION)) : seededUnitVector(document * 1_000_003 + chunk.ordinal, DIMENSION);
}

/** The PDF repeated to `pages` pages (as bench:ingest --source builds it), in a temporary folder. */
async function repeatedPdf(source: string, pages: number): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'chunk-writes-'));
  const path = join(dir, 'bench.pdf');
  await writeRepeatedPdf(source, pages, path);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function runVariant(variant: string, chunks: Chunk[], documents: number, batchSize: number, concurrency: number) {
  const env = await createTestEnv({ LOG_LEVEL: 'error' });
  const pool = createPool(env.config.databaseUrl);
  const owner = createPool(env.config.databaseUrl, { owner: true });
  try {
    const repository = new ChunksRepository(pool);
    await repository.ensureVectorIndex(DIMENSION);
    const collection = await new CollectionsRepository(pool).getOrCreate('default', 'bench', 'bench', DIMENSION);
    for (const statement of statementsOf(variant)!) await owner.query(statement);
    const attempts: IngestionAttempt[] = [];
    for (let i = 0; i < documents; i++) {
      const id = randomUUID();
      await createTestDocument(pool, { id, tenant: 'default', collectionId: collection.id, title: 'bench', mediaType: 'application/pdf', chunkOverlap: 80, jobId: `bench-${id}` });
      attempts.push(await startTestAttempt(pool, 'default', id));
    }
    const cpu = sampleCpu(process.pid, new URL(env.config.databaseUrl).pathname.slice(1), availableParallelism(), 100);
    const started = Date.now();
    function* batches() {
      for (const [d, attempt] of attempts.entries()) {
        for (let at = 0; at < chunks.length; at += batchSize) {
          yield { attempt, batch: chunks.slice(at, at + batchSize).map((chunk) => ({ ...chunk, embedding: vectorOf(chunk, d) })) };
        }
      }
    }
    await forEachConcurrently(batches(), concurrency, ({ attempt, batch }) => repository.upsertMany(attempt, collection.id, batch));
    const seconds = (Date.now() - started) / 1000;
    const figures = cpu.stop();
    return { variant, concurrency, chunks: chunks.length * documents, seconds, postgres_cpu_s: figures.postgres_cpu_s, postgres_ms_per_chunk: Number(((figures.postgres_cpu_s * 1000) / (chunks.length * documents)).toFixed(2)), load: loadavg()[0] };
  } finally {
    await pool.end();
    await owner.end();
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  if (!values.file) throw new Error('--file real.pdf is required');
  const variants = values.variants!.split(',');
  const concurrencies = values.concurrency!.split(',').map(Number);
  if (concurrencies.some((count) => !Number.isInteger(count) || count < 1 || count > 10)) throw new Error(`--concurrency takes counts from 1 to 10 (the pool's size), got "${values.concurrency}"`);
  for (const variant of variants) if (!statementsOf(variant)) throw new Error(`unknown variant "${variant}" (${Object.keys(VARIANTS).join(', ')}, m<M>ef<EF>)`);
  const pdf = values.pages ? await repeatedPdf(values.file, Number(values.pages)) : null;
  const chunks = await chunksOf(pdf?.path ?? values.file);
  await pdf?.remove();
  const runs = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const variant of variants) {
      for (const concurrency of concurrencies) runs.push(await runVariant(variant, chunks, Number(values.documents), Number(values.batch), concurrency));
    }
  }
  console.log(JSON.stringify({ file: values.file, runs }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
