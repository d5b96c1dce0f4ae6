// Retrieval quality on a dataset in BEIR layout (corpus.jsonl, queries.jsonl, qrels/<split>.tsv):
// ingests the corpus through the real pipeline (each document uploaded as a text file into a fresh
// collection), runs every query of the split through POST /v1/search in each mode, ranks documents by
// their best chunk, and prints nDCG@10 (graded gain), recall@10, recall@100 and MRR@10 per mode. The last
// line of output is JSON: { "hybrid": {...}, "vector": {...}, "keyword": {...}, "docs": N, "queries": N }.
//
//   npm run bench:retrieval -- <dataset dir> [--split dev|test] [--url http://localhost:3000 --api-key <key>] [--top-k 50]
//                               [--set NAME=VALUE]... [--one-relevant] [--collection NAME]
//                               [--modes hybrid,keyword] [--variant NAME=VALUE,NAME=VALUE]... [--warm-up 50] [--passes 3]
//
// Before the timed passes, --warm-up questions of the dataset outside the split (none of the timed ones, so
// caches warm but no answer is cached) go through each mode untimed: an api's first hundred or so questions cost
// up to twice the CPU of later ones, which otherwise fell on whichever mode ran first. Then every mode answers the
// split's questions --passes times, the modes taking turns (keyword, hybrid, hybrid, keyword, keyword, hybrid...),
// and a mode's ms/query is the median of its passes: a mode timed in one stretch of a few seconds took whatever
// else the machine did then (NFCorpus dev, one build, four runs of one pass each: hybrid 1.06–1.67× keyword).
// Scores are those of the first pass (the lists do not change between passes).
//
// As BEIR's evaluation does ("ignore identical ids"), a document whose id is the query's own is left out of that
// query's ranking: in ArguAna every query is also a document of the corpus, and would otherwise rank itself first.
//
// --variant (repeatable) searches the same ingested corpus again under other api settings: after the run with the
// --set settings, the api is restarted with each variant's settings added and every mode runs again (ingestion
// is not repeated, so a sweep of search settings costs minutes, not an ingest each). --modes runs only those.
//
// --collection (with --url) searches a collection an earlier run ingested into that system instead of ingesting
// again (its documents carry their BEIR id in metadata.beir_id): two api versions started on the same database
// are then compared on the same chunks, in one run each after the other, without the minutes of ingestion.
// Without --url it starts its own api and worker processes on a scratch database and removes them after;
// --set configures them (e.g. --set EMBEDDING_PROVIDER=openai --set OPENAI_BASE_URL=... --set OPENAI_API_KEY=...; a reranker:
// --set RERANK_PROVIDER=openai-compatible --set RERANK_BASE_URL=... --set RERANK_MODEL=...).
// --one-relevant judges only each query's best document (see oneRelevantPerQuery).
import { randomBytes } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { requestJson, uploadFile } from '../test/support/http';
import { benchSystem, settingsFrom } from './bench-system';
import { BeirQuery, forEachConcurrently, oneRelevantPerQuery, readCorpus, readQrels, readQueries } from './beir-dataset';
import { meanScores, QueryScores, rankDocuments, scoreQuery } from './retrieval-metrics';

const MODES = ['hybrid', 'vector', 'keyword'] as const;
type Mode = (typeof MODES)[number];
/** The API's limits: top_k at most 50, questions at most 4,000 characters, titles at most 300. */
const MAX_TOP_K = 50;
const MAX_QUERY_CHARS = 4000;
const MAX_TITLE_CHARS = 300;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'string', default: 'test' },
    url: { type: 'string' },
    'api-key': { type: 'string' },
    'top-k': { type: 'string', default: String(MAX_TOP_K) },
    concurrency: { type: 'string', default: '8' },
    set: { type: 'string', multiple: true, default: [] },
    'one-relevant': { type: 'boolean', default: false },
    collection: { type: 'string' },
    modes: { type: 'string', default: MODES.join(',') },
    variant: { type: 'string', multiple: true, default: [] },
    'warm-up': { type: 'string', default: '50' },
    passes: { type: 'string', default: '3' },
  },
});

function log(line: string): void {
  console.log(line);
}

async function main(): Promise<void> {
  const dir = positionals[0];
  if (!dir) throw new Error('usage: npm run bench:retrieval -- <BEIR dataset dir> [--split dev|test] [--url http://host:port]');
  const datasetDir = resolve(dir);
  const topK = Number(values['top-k']);
  const concurrency = Number(values.concurrency);
  if (topK < 100) log(`note: recall@100 is measured over the first ${topK} chunks (the API's top_k limit), a lower bound`);

  const system = await benchSystem(values.url, settingsFrom(values.set!), values['api-key']);
  try {
    if (values.collection && !values.url) throw new Error('--collection needs --url: a collection ingested into a system that outlives the run');
    const collection = values.collection ?? `beir-${basename(datasetDir).toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
    const ingestStarted = Date.now();
    const { docs, beirIds } = values.collection
      ? await ingestedCorpus(system.baseUrl, collection)
      : await ingestCorpus(system.baseUrl, datasetDir, collection, concurrency).then(async ({ docs, skipped, beirIds }) => {
          const failed = await waitUntilIngested(system.baseUrl, collection);
          log(`ingested ${docs} documents into "${collection}" in ${((Date.now() - ingestStarted) / 1000).toFixed(1)} s (${skipped} empty skipped, ${failed} failed)`);
          return { docs, beirIds };
        });
    const ingestSeconds = (Date.now() - ingestStarted) / 1000;

    const judged = await readQrels(datasetDir, values.split!);
    const qrels = values['one-relevant'] ? oneRelevantPerQuery(judged) : judged;
    const queries = await readQueries(datasetDir, new Set(qrels.keys()));
    const warmUp = (await readQueries(datasetDir)).filter((query) => !judged.has(query.id)).slice(0, Number(values['warm-up']));
    const modes = values.modes!.split(',').map((mode) => {
      if (!(MODES as readonly string[]).includes(mode)) throw new Error(`--modes takes ${MODES.join(', ')}; got "${mode}"`);
      return mode as Mode;
    });
    const variants = values.variant!.map((variant) => settingsFrom(variant.split(',')));
    const passes = Number(values.passes);
    if (!Number.isInteger(passes) || passes < 1) throw new Error(`--passes takes a whole number of at least 1; got "${values.passes}"`);
    const summaries: Record<string, unknown>[] = [];
    for (const variant of [null, ...variants]) {
      if (variant) {
        await system.restartApi(variant);
        log(`variant ${JSON.stringify(variant)}`);
      }
      const search = async (mode: Mode, query: BeirQuery) => {
        const { status, body } = await requestJson(system.baseUrl, '/v1/search', {
          method: 'POST',
          json: { query: query.text.slice(0, MAX_QUERY_CHARS), collection, mode, top_k: topK },
        });
        if (status !== 200) throw new Error(`search for query ${query.id} answered ${status}: ${JSON.stringify(body)}`);
        return body;
      };
      for (const mode of modes) await forEachConcurrently(warmUp, concurrency, async (query) => void (await search(mode, query)));
      const scores: Partial<Record<Mode, QueryScores & { reranked?: number }>> = {};
      const passMs = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
      for (let pass = 0; pass < passes; pass++) {
        for (const mode of pass % 2 === 0 ? modes : [...modes].reverse()) {
          const started = Date.now();
          const perQuery: QueryScores[] = [];
          // With RERANK_* set, how many searches the reranker ordered (the others fell back to the fused order).
          let reranked = 0;
          await forEachConcurrently(queries, concurrency, async (query) => {
            const body = await search(mode, query);
            if (body.reranked) reranked++;
            const documents = body.results.map((hit: { document_id: string }) => beirIds.get(hit.document_id) ?? hit.document_id);
            const ranked = rankDocuments(documents).filter((id) => id !== query.id);
            perQuery.push(scoreQuery(ranked, qrels.get(query.id)!));
          });
          passMs.get(mode)!.push((Date.now() - started) / Math.max(1, queries.length));
          scores[mode] ??= { ...meanScores(perQuery), ...(reranked > 0 ? { reranked } : {}) };
        }
      }
      const results: Partial<Record<Mode, QueryScores & { 'ms/query': number; reranked?: number }>> = {};
      for (const mode of modes) {
        results[mode] = { ...scores[mode]!, 'ms/query': Math.round(median(passMs.get(mode)!) * 10) / 10 };
        log(`${mode.padEnd(8)} ${Object.entries(results[mode]).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
      }
      const ratio = results.hybrid && results.keyword ? Math.round((results.hybrid['ms/query'] / results.keyword['ms/query']) * 100) / 100 : undefined;
      if (ratio !== undefined) log(`hybrid costs ${ratio}× a keyword search in this run`);
      summaries.push({ ...(variant ? { variant } : {}), ...results, ...(ratio !== undefined ? { 'hybrid/keyword time': ratio } : {}) });
    }
    log(`split ${values.split}, ${queries.length} queries (each mode warmed up by ${warmUp.length} others; ms/query the median of ${passes} passes), top_k ${topK}; ingest ${ingestSeconds.toFixed(1)} s`);
    log(JSON.stringify(variants.length === 0 ? { ...summaries[0], docs, queries: queries.length } : { runs: summaries, docs, queries: queries.length }));
  } finally {
    await system.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Uploads every non-empty document as a text file; returns Groundwork document id -> BEIR id. */
async function ingestCorpus(baseUrl: string, dir: string, collection: string, concurrency: number) {
  const beirIds = new Map<string, string>();
  let skipped = 0;
  await forEachConcurrently(readCorpus(dir), concurrency, async (doc) => {
    const content = [doc.title, doc.text].filter((part) => part.trim() !== '').join('\n\n');
    if (content.trim() === '') {
      skipped++;
      return;
    }
    const upload = await uploadFile(baseUrl, { name: 'document.txt', content }, {
      collection,
      title: (doc.title.trim() || doc.id).slice(0, MAX_TITLE_CHARS),
      metadata: JSON.stringify({ beir_id: doc.id }),
    });
    if (upload.status !== 202) throw new Error(`upload of ${doc.id} answered ${upload.status}: ${JSON.stringify(upload.body)}`);
    beirIds.set(upload.body.document_id, doc.id);
  });
  return { docs: beirIds.size, skipped, beirIds };
}

/** The ready documents of a collection ingested earlier: Groundwork document id -> BEIR id (metadata.beir_id). */
async function ingestedCorpus(baseUrl: string, collection: string) {
  const beirIds = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const query: string = `/v1/documents?collection=${encodeURIComponent(collection)}&status=ready&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { status, body } = await requestJson(baseUrl, query);
    if (status !== 200) throw new Error(`listing "${collection}" answered ${status}: ${JSON.stringify(body)}`);
    for (const doc of body.data as { id: string; metadata: { beir_id?: string } }[]) beirIds.set(doc.id, doc.metadata.beir_id ?? doc.id);
    cursor = body.next_cursor;
  } while (cursor);
  if (beirIds.size === 0) throw new Error(`collection "${collection}" has no ready document`);
  log(`searching the ${beirIds.size} ready documents already in "${collection}"`);
  return { docs: beirIds.size, beirIds };
}

/** Waits until no document of the collection is queued or processing; returns how many failed. */
async function waitUntilIngested(baseUrl: string, collection: string): Promise<number> {
  const count = async (status: string) => {
    const { body } = await requestJson(baseUrl, `/v1/documents?collection=${collection}&status=${status}&limit=1`);
    return body.data.length;
  };
  while ((await count('queued')) + (await count('processing')) > 0) await new Promise((r) => setTimeout(r, 500));
  let failed = 0;
  let cursor: string | null = null;
  do {
    const query: string = `/v1/documents?collection=${collection}&status=failed&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { body } = await requestJson(baseUrl, query);
    failed += body.data.length;
    cursor = body.next_cursor;
  } while (cursor);
  return failed;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
