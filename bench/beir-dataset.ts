import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A dataset in BEIR layout: corpus.jsonl, queries.jsonl, qrels/<split>.tsv. */
export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

/** Reads corpus.jsonl one line at a time: a corpus of millions of documents is never held in memory. */
export async function* readCorpus(dir: string): AsyncGenerator<BeirDocument> {
  const lines = createInterface({ input: createReadStream(join(dir, 'corpus.jsonl'), 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { _id: string; title?: string; text?: string };
    yield { id: String(row._id), title: row.title ?? '', text: row.text ?? '' };
  }
}

/** qrels/<split>.tsv (query-id, corpus-id, score; header optional) as query id -> (document id -> grade). */
export async function readQrels(dir: string, split: string): Promise<Map<string, Map<string, number>>> {
  const qrels = new Map<string, Map<string, number>>();
  const text = await readFile(join(dir, 'qrels', `${split}.tsv`), 'utf8');
  for (const line of text.split('\n')) {
    const [queryId, docId, grade] = line.trim().split('\t');
    if (!queryId || queryId === 'query-id' || docId === undefined) continue;
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, Number(grade));
    qrels.set(queryId, judged);
  }
  return qrels;
}

/**
 * Each query's highest-graded document only (ties: the smallest id). Turns a set with many judged documents per
 * query, like NFCorpus, into a proxy for sets with one relevant document per query (SciFact, ArguAna), where
 * tricks that pull in similar passages, such as pseudo-relevance feedback, can hurt.
 */
export function oneRelevantPerQuery(qrels: Map<string, Map<string, number>>): Map<string, Map<string, number>> {
  const kept = new Map<string, Map<string, number>>();
  for (const [queryId, judged] of qrels) {
    let best: [string, number] | undefined;
    for (const [docId, grade] of judged) {
      if (grade > 0 && (!best || grade > best[1] || (grade === best[1] && docId < best[0]))) best = [docId, grade];
    }
    if (best) kept.set(queryId, new Map([best]));
  }
  return kept;
}

/** The queries of queries.jsonl, or those whose ids are in `only` (as in BEIR, a split's queries are those in its qrels). */
export async function readQueries(dir: string, only?: ReadonlySet<string>): Promise<BeirQuery[]> {
  const queries: BeirQuery[] = [];
  const lines = createInterface({ input: createReadStream(join(dir, 'queries.jsonl'), 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { _id: string; text: string };
    if (!only || only.has(String(row._id))) queries.push({ id: String(row._id), text: row.text });
  }
  return queries;
}

/**
 * Runs `work` over `items` (any iterable, async included) with at most `concurrency` in flight. The first
 * failure stops taking new items; the ones in flight finish, then it is thrown.
 */
export async function forEachConcurrently<T>(items: AsyncIterable<T> | Iterable<T>, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of items) {
    const task: Promise<void> = work(item).then(
      () => void inFlight.delete(task),
      (error: unknown) => {
        failure ??= { error };
        inFlight.delete(task);
      },
    );
    inFlight.add(task);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) break;
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
}
