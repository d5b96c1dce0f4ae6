// An OpenAI-compatible embedding server on localhost for the ingestion benchmark. It runs in a process of its
// own, so its CPU and memory count for neither pipeline it serves. Prints its base URL (…/v1) as the first
// line of stdout; GET /stats answers { requests, inputs } so the benchmark can report embedding calls.
//   node dist/bench/embedding-server.js [--latency-ms 0] [--port 0]
// A fixed --port lets it be stopped and started again at the same address, as a provider's outage.
import { ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { encodeEmbedding, fakeEmbedding, FakeOpenAI, RecordedRequest } from '../test/support/fake-openai';

const { values } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '0' }, port: { type: 'string', default: '0' } } });
// A remote provider answers in tens to hundreds of milliseconds; a latency shows how a pipeline overlaps it.
const latencyMs = Number(values['latency-ms']);

const stats = { requests: 0, inputs: 0 };

/**
 * Like the fake's own route (floats, or `encoding_format: "base64"` as OpenAI serves it), counting requests and
 * inputs, with an optional latency, and without the fake's request log: a benchmark sends gigabytes.
 */
async function embeddings(request: RecordedRequest, res: ServerResponse): Promise<void> {
  const body = (request.body ?? {}) as { input?: unknown; model?: string; dimensions?: number; encoding_format?: string };
  const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
  if (inputs.length === 0 || inputs.some((input) => typeof input !== 'string' || input === '')) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: "'input' must be a non-empty string or an array of them", type: 'invalid_request_error' } }));
    return;
  }
  stats.requests += 1;
  stats.inputs += inputs.length;
  const dimension = body.dimensions ?? 1536;
  const encode = (text: string) => encodeEmbedding(fakeEmbedding(text, dimension), body.encoding_format);
  const data = (inputs as string[]).map((input, index) => ({ object: 'embedding', index, embedding: encode(input) }));
  if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  const tokens = (inputs as string[]).reduce((sum, input) => sum + Math.ceil(input.length / 4), 0);
  const payload = JSON.stringify({ object: 'list', data, model: body.model ?? 'text-embedding-3-small', usage: { prompt_tokens: tokens, total_tokens: tokens } });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function main(): Promise<void> {
  const server = new FakeOpenAI();
  server.route('POST', '/v1/embeddings', embeddings);
  server.route('GET', '/stats', (_request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
  });
  // The fake logs every request body for tests; a benchmark sends gigabytes, so the log is dropped as it grows.
  setInterval(() => server.reset(), 1_000).unref();
  const url = await server.start(Number(values.port));
  console.log(url);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
