// Query latency: ingests a corpus, then asks a few hundred distinct questions through POST /v1/query, half
// as Server-Sent Events (time to the first byte, to the `retrieval` event and to `done`) and half as JSON
// (total time), and prints p50/p95/p99 and each half's throughput (questions answered per second) as JSON on its
// last line.
//
//   npm run bench:query -- [--queries 300] [--concurrency 4] [--warm-up N] [--docs 200] [--dataset <BEIR dir>]
//                           [--url http://host:port --api-key <key>] [--set NAME=VALUE]... [--collection NAME]
//
// Before timing, --warm-up further questions (3 × --concurrency unless said; none of the timed ones, so nothing
// timed is answered from the cache) go through both routes, --concurrency at a time: an api's first hundred or
// so questions cost it up to twice the CPU of later ones (V8 still compiling), and the phase timed first (SSE)
// would otherwise carry all of it.
//
// The corpus is generated (--docs documents of 40 sentences) unless --dataset names a BEIR directory, whose
// corpus and queries are used instead. Without --url it starts its own api and worker processes, configured by
// --set (e.g. --set NODE_OPTIONS=--cpu-prof to profile them). --collection (with --url and --dataset) asks the
// dataset's questions of a collection already loaded into that system (bench/load-beir.ts loads one in minutes,
// where uploading thousands of documents through the pipeline takes an hour), so two api versions can be
// compared on the same corpus one after the other.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { requestJson, uploadFile, waitForDocument } from '../test/support/http';
import { postSse } from '../test/support/sse';
import { benchSystem, settingsFrom } from './bench-system';
import { forEachConcurrently, readCorpus, readQueries } from './beir-dataset';
import { percentiles } from './percentiles';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    'warm-up': { type: 'string' },
    docs: { type: 'string', default: '200' },
    dataset: { type: 'string' },
    url: { type: 'string' },
    'api-key': { type: 'string' },
    collection: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

// A small world to write about: every generated sentence states one fact, and a question asks for it.
const THINGS = ['pump', 'valve', 'turbine', 'boiler', 'sensor', 'conveyor', 'compressor', 'generator', 'filter', 'crane', 'furnace', 'scanner'];
const PLACES = ['Aberdeen', 'Bergen', 'Calais', 'Dresden', 'Eindhoven', 'Faro', 'Genoa', 'Hamburg', 'Innsbruck', 'Jena', 'Kiel', 'Lyon'];
const ACTIONS = ['inspects', 'replaces', 'calibrates', 'cleans', 'tests', 'repairs'];
const UNITS = ['bearings', 'gaskets', 'fuses', 'belts', 'seals', 'nozzles', 'cables', 'brushes'];
const PERIODS = ['week', 'month', 'quarter', 'year'];

const pick = <T>(list: readonly T[], n: number) => list[n % list.length];
/** The fact of sentence `i` of document `d`, as a sentence and as the question it answers. */
function fact(d: number, i: number) {
  const n = d * 40 + i;
  const [thing, place, action, unit, period] = [pick(THINGS, n), pick(PLACES, n * 7 + d), pick(ACTIONS, n * 3), pick(UNITS, n * 5 + i), pick(PERIODS, n * 11)];
  const count = 2 + ((n * 13) % 37);
  return {
    sentence: `The ${place} ${thing} team ${action} ${count} ${unit} on unit ${d}-${i} every ${period}.`,
    question: `How many ${unit} does the ${place} ${thing} team ${action.replace(/s$/, '')} on unit ${d}-${i} each ${period}?`,
  };
}

async function main(): Promise<void> {
  const total = Number(values.queries);
  const concurrency = Number(values.concurrency);
  const warmUpCount = values['warm-up'] === undefined ? 3 * concurrency : Number(values['warm-up']);
  const system = await benchSystem(values.url, settingsFrom(values.set!), values['api-key']);
  try {
    if (values.collection && !(values.url && values.dataset)) throw new Error('--collection needs --url and --dataset: the questions of a corpus loaded into a running system');
    const collection = values.collection ?? `bench-query-${randomBytes(3).toString('hex')}`;
    const { docs, questions } = values.collection
      ? await loadedDataset(system.baseUrl, resolve(values.dataset!), collection, total + warmUpCount)
      : values.dataset
      ? await ingestDataset(system.baseUrl, resolve(values.dataset), collection, concurrency, total + warmUpCount)
      : await ingestGenerated(system.baseUrl, collection, Number(values.docs), concurrency, total + warmUpCount);
    const timed = questions.slice(0, total);
    const warmUp = questions.slice(total);
    console.log(`ingested ${docs} documents into "${collection}"; asking ${timed.length} questions after ${warmUp.length} to warm up, ${concurrency} at a time`);

    const firstByte: number[] = [];
    const retrievalEvent: number[] = [];
    const done: number[] = [];
    const jsonTotal: number[] = [];
    let errors = 0;
    let cached = 0;
    const streamed = timed.slice(0, Math.ceil(timed.length / 2));
    const plain = timed.slice(streamed.length);
    // Connection set-up, lazy initialisation and V8's compiling stay out of the figures (see the top).
    await requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query: 'warm-up question', collection } });
    await forEachConcurrently(warmUp.entries(), concurrency, async ([i, query]) => {
      if (i % 2 === 0) await postSse(system.baseUrl, '/v1/query', { query, collection });
      else await requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query, collection } });
    });

    const sseStarted = performance.now();
    await forEachConcurrently(streamed, concurrency, async (query) => {
      const sse = await postSse(system.baseUrl, '/v1/query', { query, collection });
      const retrieval = sse.events.find((e) => e.event === 'retrieval');
      const end = sse.events.find((e) => e.event === 'done');
      if (sse.status !== 200 || !retrieval || !end) {
        errors++;
        return;
      }
      if (end.data.cached) cached++;
      firstByte.push(sse.firstByteMs!);
      retrievalEvent.push(retrieval.atMs);
      done.push(end.atMs);
    });
    const sseSeconds = (performance.now() - sseStarted) / 1000;
    const jsonStarted = performance.now();
    await forEachConcurrently(plain, concurrency, async (query) => {
      const started = performance.now();
      const { status, body } = await requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query, collection } });
      if (status !== 200) {
        errors++;
        return;
      }
      if (body.cached) cached++;
      jsonTotal.push(performance.now() - started);
    });
    const jsonSeconds = (performance.now() - jsonStarted) / 1000;
    const perSecond = (answered: number, seconds: number) => Math.round((answered / seconds) * 10) / 10;

    console.log(
      JSON.stringify({
        docs,
        queries: timed.length,
        warm_up: warmUp.length,
        concurrency,
        sse: {
          first_byte_ms: percentiles(firstByte),
          retrieval_event_ms: percentiles(retrievalEvent),
          done_ms: percentiles(done),
          per_second: perSecond(done.length, sseSeconds),
        },
        json: { total_ms: percentiles(jsonTotal), per_second: perSecond(jsonTotal.length, jsonSeconds) },
        cached,
        errors,
      }),
    );
  } finally {
    await system.stop();
  }
}

async function ingestGenerated(baseUrl: string, collection: string, docCount: number, concurrency: number, questionCount: number) {
  const ids: string[] = [];
  await forEachConcurrently(Array.from({ length: docCount }, (_, d) => d), concurrency, async (d) => {
    // Five sentences to a paragraph, as prose is written.
    const text = Array.from({ length: 40 }, (_, i) => fact(d, i).sentence + (i % 5 === 4 ? '\n\n' : ' ')).join('');
    const upload = await uploadFile(baseUrl, { name: `plant-${d}.txt`, content: text }, { collection, title: `Maintenance plan ${d}` });
    if (upload.status !== 202) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
    ids.push(upload.body.document_id);
  });
  await forEachConcurrently(ids, concurrency, async (id) => {
    const doc = await waitForDocument(baseUrl, id, 10 * 60_000);
    if (doc.status !== 'ready') throw new Error(`document ${id} ${doc.status}: ${JSON.stringify(doc.error)}`);
  });
  // A prime stride visits every fact once before repeating, spreading the questions over all documents.
  const facts = docCount * 40;
  const questions = Array.from({ length: Math.min(questionCount, facts) }, (_, q) => {
    const index = (q * 7919) % facts;
    return fact(Math.floor(index / 40), index % 40).question;
  });
  return { docs: ids.length, questions };
}

async function ingestDataset(baseUrl: string, dir: string, collection: string, concurrency: number, questionCount: number) {
  const ids: string[] = [];
  await forEachConcurrently(readCorpus(dir), concurrency, async (doc) => {
    const content = [doc.title, doc.text].filter((part) => part.trim() !== '').join('\n\n');
    if (content.trim() === '') return;
    const upload = await uploadFile(baseUrl, { name: 'document.txt', content }, { collection, title: (doc.title.trim() || doc.id).slice(0, 300) });
    if (upload.status !== 202) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
    ids.push(upload.body.document_id);
  });
  await forEachConcurrently(ids, concurrency, async (id) => void (await waitForDocument(baseUrl, id, 30 * 60_000)));
  return { docs: ids.length, questions: await datasetQuestions(dir, questionCount) };
}

/** The questions of a dataset whose corpus is already in `collection` (see --collection), and how many documents it holds. */
async function loadedDataset(baseUrl: string, dir: string, collection: string, questionCount: number) {
  // Older versions have no such route: the count is then unknown (null), and a missing collection shows as errors.
  const { status, body } = await requestJson(baseUrl, `/v1/collections/${encodeURIComponent(collection)}`);
  const docs: number | null = status === 200 ? (body.documents?.ready ?? null) : null;
  return { docs, questions: await datasetQuestions(dir, questionCount) };
}

/** The dataset's distinct questions, cut to the API's 4,000 characters, `count` at most. */
async function datasetQuestions(dir: string, count: number): Promise<string[]> {
  const queries = await readQueries(dir);
  return [...new Set(queries.map((q) => q.text.slice(0, 4000)))].slice(0, count);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
