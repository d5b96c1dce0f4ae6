// A rerank server for benches on machines without a reranker model: POST /rerank in the format vLLM, TEI,
// Infinity, llama.cpp, Cohere and Jina share ({ model, query, documents, top_n } → { results: [{ index,
// relevance_score }] }). It scores each document by the query words it contains, weighted by their rarity among
// the documents sent — a weak reranker, there to exercise the rerank path end to end and to check that
// bench:retrieval measures the reranker's order, not to improve it:
//
//   node dist/bench/lexical-reranker.js [--port 8089] [--delay-ms 0]
//   npm run bench:retrieval -- <dataset> --set RERANK_PROVIDER=openai-compatible \
//     --set RERANK_BASE_URL=http://127.0.0.1:8089 --set RERANK_MODEL=lexical
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8089' }, 'delay-ms': { type: 'string', default: '0' } } });
const delayMs = Number(values['delay-ms']);

/** Lower-cased letter-and-digit runs: one linear scan, no backtracking. */
const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

function scores(query: string, documents: string[]): number[] {
  const docWords = documents.map(words);
  const queryWords = [...words(query)];
  const weight = new Map(queryWords.map((word) => [word, Math.log(1 + documents.length / (1 + docWords.filter((set) => set.has(word)).length))]));
  return docWords.map((set) => queryWords.reduce((sum, word) => sum + (set.has(word) ? weight.get(word)! : 0), 0) / Math.sqrt(1 + set.size / 100));
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== '/rerank') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; documents: string[]; top_n?: number };
    const results = scores(body.query, body.documents)
      .map((relevance_score, index) => ({ index, relevance_score }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, body.top_n ?? body.documents.length);
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results })), delayMs);
  });
}).listen(Number(values.port), '127.0.0.1', () => console.error(`lexical reranker on http://127.0.0.1:${values.port}/rerank`));
