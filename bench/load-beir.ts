// Loads a BEIR corpus straight into a collection of a Groundwork database, chunked and embedded as the worker
// would (the same text sections, Chunker and local embedder, the same repository writes), without the upload,
// the queue and an extraction process per document. On a loaded machine the pipeline ingests about one
// ArguAna document a second; this loads the whole corpus in a few minutes, so search settings can be swept with
//
//   node dist/bench/load-beir.js <BEIR dir> --database-url postgres://... --collection NAME [--limit N]
//   npm run bench:retrieval -- <BEIR dir> --url http://... --api-key ... --collection NAME [--variant ...]
//
// It checks itself: with --compare COLLECTION (a collection the pipeline ingested from the same corpus) it
// reports how many of that collection's documents got exactly the same chunk texts and embeddings here.
// Local embedder only (EMBEDDING_PROVIDER=local, the default model and dimension).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Chunker, normaliseCharacters, SectionSplitter } from '@app/chunking';
import { ChunksRepository, CollectionsRepository, createPool } from '@app/database';
import { LocalHashingEmbedder } from '@app/embeddings';
import { createTestDocument, finishTestAttempt, startTestAttempt } from '../test/support/test-documents';
import { forEachConcurrently, readCorpus } from './beir-dataset';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'database-url': { type: 'string' },
    collection: { type: 'string' },
    limit: { type: 'string' },
    compare: { type: 'string' },
    'chunk-tokens': { type: 'string', default: '500' },
    'chunk-overlap': { type: 'string', default: '80' },
  },
});

const TENANT = 'default';
const MAX_TITLE_CHARS = 300;

/** The text of a document as bench:retrieval uploads it, cut into sections as the extraction process reads a text file. */
function sections(content: string): string[] {
  const splitter = new SectionSplitter();
  return [...splitter.push(content), ...splitter.finish()].map((section) => normaliseCharacters(section.text));
}

async function main(): Promise<void> {
  const dir = positionals[0];
  if (!dir || !values['database-url'] || !values.collection) throw new Error('usage: load-beir <BEIR dir> --database-url URL --collection NAME');
  const pool = createPool(values['database-url'], { max: 4 });
  const embedder = new LocalHashingEmbedder();
  const chunkTokens = Number(values['chunk-tokens']);
  const chunkOverlap = Number(values['chunk-overlap']);
  const chunksOf = async (content: string) => {
    const chunker = new Chunker({ chunkTokens, overlapTokens: chunkOverlap });
    const chunks = sections(content).flatMap((text, i) => chunker.push({ pageNumber: i + 1, text }));
    chunks.push(...chunker.finish());
    const vectors = await embedder.embed(chunks.map((chunk) => chunk.text));
    return chunks.map((chunk, i) => ({ ...chunk, embedding: vectors[i] }));
  };
  try {
    if (values.compare) {
      // Read as the tables' owner: the application role sees no tenant's rows without a tenant set.
      const owner = createPool(values['database-url'], { max: 1, owner: true });
      await compare(owner, values.compare, dir, chunksOf).finally(() => owner.end());
      return;
    }
    const collection = await new CollectionsRepository(pool).getOrCreate(TENANT, values.collection, embedder.model, embedder.dimension);
    const chunks = new ChunksRepository(pool);
    const limit = values.limit ? Number(values.limit) : Number.POSITIVE_INFINITY;
    let loaded = 0;
    const started = Date.now();
    async function* documents() {
      for await (const doc of readCorpus(resolve(dir))) {
        if (loaded++ >= limit) return;
        yield doc;
      }
    }
    await forEachConcurrently(documents(), 4, async (doc) => {
      const content = [doc.title, doc.text].filter((part) => part.trim() !== '').join('\n\n');
      if (content.trim() === '') return;
      const id = randomUUID();
      await createTestDocument(pool, {
        id, tenant: TENANT, collectionId: collection.id, title: (doc.title.trim() || doc.id).slice(0, MAX_TITLE_CHARS),
        filename: 'document.txt', mediaType: 'text/plain', byteSize: Buffer.byteLength(content),
        metadata: { beir_id: doc.id }, chunkTokens, chunkOverlap, jobId: `load-${id}`,
      });
      const rows = await chunksOf(content);
      const attempt = await startTestAttempt(pool, TENANT, id);
      await chunks.upsertMany(attempt, collection.id, rows);
      await finishTestAttempt(pool, attempt, Math.max(1, ...rows.map((row) => row.pageEnd)), rows.length);
    });
    // Searched as a real server would search it: autovacuum analyses a table after a load like this, and plans
    // made with statistics can differ from those made without (migration 0023); a test server may run without it.
    const owner = createPool(values['database-url'], { max: 1, owner: true });
    await owner.query('ANALYZE').finally(() => owner.end());
    console.log(JSON.stringify({ collection: values.collection, documents: Math.min(loaded, limit), seconds: (Date.now() - started) / 1000 }));
  } finally {
    await pool.end();
  }
}

/** Chunks of the pipeline's collection against this loader's, document by document. */
async function compare(pool: ReturnType<typeof createPool>, collection: string, dir: string, chunksOf: (content: string) => Promise<{ text: string; embedding: Float32Array }[]>) {
  const { rows } = await pool.query<{ beir_id: string; texts: string[]; embeddings: string[] }>(
    `SELECT d.metadata->>'beir_id' AS beir_id, array_agg(c.text ORDER BY c.ordinal) AS texts, array_agg(c.embedding::text ORDER BY c.ordinal) AS embeddings
     FROM documents d JOIN collections k ON k.id = d.collection_id JOIN chunks c ON c.document_id = d.id
     WHERE k.name = $1 AND d.status = 'ready' GROUP BY 1`,
    [collection],
  );
  const stored = new Map(rows.map((row) => [row.beir_id, row]));
  let same = 0;
  let differ = 0;
  for await (const doc of readCorpus(resolve(dir))) {
    const row = stored.get(doc.id);
    if (!row) continue;
    const mine = await chunksOf([doc.title, doc.text].filter((part) => part.trim() !== '').join('\n\n'));
    const equal =
      mine.length === row.texts.length &&
      mine.every((chunk, i) => {
        const theirs = JSON.parse(row.embeddings[i]) as number[];
        return chunk.text === row.texts[i] && theirs.every((value, j) => Math.abs(value - chunk.embedding[j]) < 1e-6);
      });
    if (equal) same++;
    else if (differ++ < 3) console.log(`differs: ${doc.id} (${mine.length} chunks here, ${row.texts.length} stored)`);
  }
  console.log(JSON.stringify({ compared: same + differ, same, differ }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
