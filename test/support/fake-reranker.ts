import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A rerank request as vLLM, TEI, Infinity, llama.cpp, Cohere and Jina take it. */
export interface RerankRequestBody {
  model: string;
  query: string;
  documents: string[];
  top_n: number;
}

/** How the server answers the next requests: rank by the rule, or fail in one of the ways a reranker fails. */
export type RerankerBehaviour = 'rank' | 'error500' | 'refuse400' | 'hang' | 'garbage' | 'error200';

/**
 * A small rerank server for tests, in the shared format: `POST /rerank` with `{ model, query, documents, top_n }`
 * answers `{ results: [{ index, relevance_score }] }`, best first, scored by `score(query, document)`. It can be
 * stopped and started again on the same port, so a client configured with its URL sees it go down and come back.
 */
export class FakeReranker {
  readonly requests: RerankRequestBody[] = [];
  behaviour: RerankerBehaviour = 'rank';
  private server: Server | null = null;
  private port = 0;
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly score: (query: string, document: string) => number) {}

  /** Listens on 127.0.0.1 (on the port it had before, after a stop); resolves to the base URL, without /rerank. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const res of this.open) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The ranking this server gives `documents` for `query`: their indexes, best first, `topN` at most. */
  ranking(query: string, documents: string[], topN: number): number[] {
    return documents
      .map((document, index) => ({ index, score: this.score(query, document) }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, topN)
      .map(({ index }) => index);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/rerank') return send(res, 404, { error: 'not found' });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RerankRequestBody;
    this.requests.push(body);
    switch (this.behaviour) {
      case 'hang':
        this.open.add(res);
        res.on('close', () => this.open.delete(res));
        return;
      case 'error500':
        return send(res, 500, { error: 'model crashed' });
      case 'refuse400':
        return send(res, 400, { error: 'documents too long' });
      case 'error200':
        return send(res, 200, { error: { message: 'Incorrect API key provided: sk-LEAK-7' } });
      case 'garbage':
        return send(res, 200, { results: [{ index: body.documents.length + 5, relevance_score: 'high' }] });
      case 'rank': {
        const results = this.ranking(body.query, body.documents, body.top_n).map((index) => ({ index, relevance_score: this.score(body.query, body.documents[index]) }));
        return send(res, 200, { id: 'rerank-1', results, usage: { total_tokens: 42 } });
      }
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
