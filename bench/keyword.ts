// Keyword (BM25) search latency on a large collection. Fills a scratch database with --chunks chunks of 12
// sentences drawn at random from a BEIR corpus (so common words are as common as in the corpus, and then some),
// written through ChunksRepository like ingestion writes them; then asks, one at a time, the corpus's questions,
// the same questions wrapped in common words, and a few questions made of common words only, through
// ChunksRepository.searchKeyword. Prints p50/p95/p99 per kind; the last line is JSON.
//
//   npm run bench:keyword -- <BEIR dataset dir> [--chunks 100000] [--queries 300] [--top-k 10]
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChunksRepository, CollectionsRepository, createPool, NewChunk } from '@app/database';
import { createTestEnv } from '../test/support/test-env';
import { readCorpus, readQueries } from './beir-dataset';
import { createTestDocument, finishTestAttempt, startTestAttempt } from '../test/support/test-documents';
import { percentiles } from './percentiles';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    'top-k': { type: 'string', default: '10' },
  },
});

const SENTENCES_PER_CHUNK = 12;
const CHUNKS_PER_DOCUMENT = 100;
const WRAPPERS = [
  (q: string) => `What does the research say about the effects of ${q} on health and the risk of disease in patients?`,
  (q: string) => `Is there any evidence from studies that ${q} is associated with increased or reduced risk?`,
  (q: string) => `Can you tell me what the results of the study show about ${q} and its effect on people?`,
];
const COMMON_WORDS_ONLY = [
  'What are the effects of the study results on patients with a high risk of disease and increased levels?',
  'Does the study show an effect of diet on health risk and disease in patients?',
  'What is the association between intake and risk in this study of women and men?',
  'Do these results show significant effects of treatment on levels in the group?',
  'What did the studies find about the risk and the effects in the patients?',
];

/** mulberry32: a seeded generator, so every run builds the same collection. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** VACUUM ANALYZE as the tables' owner: the application role may not, and would skip every table. */
async function analyze(databaseUrl: string): Promise<void> {
  const owner = createPool(databaseUrl, { max: 1, owner: true });
  try {
    await owner.query('VACUUM ANALYZE');
  } finally {
    await owner.end();
  }
}

async function main(): Promise<void> {
  const dir = positionals[0];
  if (!dir) throw new Error('usage: npm run bench:keyword -- <BEIR dataset dir> [--chunks 100000] [--queries 300] [--top-k 10]');
  const chunkTarget = Number(values.chunks);
  const topK = Number(values['top-k']);
  const env = await createTestEnv({ LOG_LEVEL: 'error' });
  const pool = createPool(env.config.databaseUrl, { max: 2 });
  try {
    const sentences: string[] = [];
    for await (const doc of readCorpus(resolve(dir))) {
      for (const sentence of `${doc.title}. ${doc.text}`.split(/(?<=[.!?])\s+/)) if (sentence.length > 20) sentences.push(sentence);
    }
    const collections = new CollectionsRepository(pool);
    const chunks = new ChunksRepository(pool);
    const collection = await collections.getOrCreate('default', 'bench-keyword', 'none', 8);
    const next = random(42);
    const embedding = new Float32Array(8).fill(0.5);
    const started = Date.now();
    for (let written = 0; written < chunkTarget; written += CHUNKS_PER_DOCUMENT) {
      const id = randomUUID();
      await createTestDocument(pool, {
        id, tenant: 'default', collectionId: collection.id, title: `generated ${written}`, filename: null, mediaType: 'text/plain',
        byteSize: 0, metadata: {}, chunkTokens: 500, chunkOverlap: 0, jobId: `bench-${id}`,
      });
      const batch: NewChunk[] = Array.from({ length: Math.min(CHUNKS_PER_DOCUMENT, chunkTarget - written) }, (_, ordinal) => ({
        ordinal, pageStart: 1, pageEnd: 1, tokenCount: 0, embedding,
        text: Array.from({ length: SENTENCES_PER_CHUNK }, () => sentences[Math.floor(next() * sentences.length)]).join(' '),
      }));
      const attempt = await startTestAttempt(pool, 'default', id);
      await chunks.upsertMany(attempt, collection.id, batch);
      await finishTestAttempt(pool, attempt, 1, batch.length);
    }
    const ingestSeconds = (Date.now() - started) / 1000;
    // Fresh planner statistics, as autovacuum would have them on a collection this size.
    await analyze(env.config.databaseUrl);
    console.log(`wrote ${chunkTarget} chunks in ${ingestSeconds.toFixed(1)} s`);

    const questions = (await readQueries(resolve(dir))).map((q) => q.text);
    const sample = (count: number, offset: number) => Array.from({ length: count }, (_, i) => questions[(offset + i * 7) % questions.length]);
    const measure = async (asked: string[]) => {
      const times: number[] = [];
      for (const query of asked) {
        const t0 = performance.now();
        await chunks.searchKeyword({ tenant: 'default', collectionId: collection.id, limit: topK }, query);
        times.push(performance.now() - t0);
      }
      return percentiles(times);
    };
    const count = Number(values.queries);
    await measure(sample(50, 1)); // warm-up on other questions: caches, not answers
    const results = {
      chunks: chunkTarget,
      top_k: topK,
      ingest_seconds: Number(ingestSeconds.toFixed(1)),
      dataset_questions: await measure(sample(count, 0)),
      common_word_heavy_questions: await measure(sample(count, 3).map((q, i) => WRAPPERS[i % WRAPPERS.length](q))),
      common_words_only_questions: await measure(COMMON_WORDS_ONLY),
      load_average_1m: Number(loadavg()[0].toFixed(2)),
    };
    for (const [kind, figures] of Object.entries(results)) if (typeof figures === 'object') console.log(`${kind.padEnd(28)} ${JSON.stringify(figures)}`);
    console.log(JSON.stringify(results));
  } finally {
    await pool.end();
    await env.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
