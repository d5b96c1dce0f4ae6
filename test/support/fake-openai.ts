import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { countTokens } from '@app/chunking';

/**
 * A small OpenAI-compatible HTTP server for tests (OpenAI itself is unreachable from CI). It speaks the wire
 * format the `openai` SDK expects, logs every request, and can be scripted to fail or hang the next requests.
 *
 * Built-in routes: POST /v1/embeddings and POST /v1/chat/completions (JSON, or SSE with `stream: true`).
 * `route()` adds or replaces a route, so suites can extend it without editing this file.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. '/v1/embeddings'. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Date.now() when the request arrived. */
  time: number;
  /**
   * The connection closed before the response was complete: the client aborted the request (or stop()
   * dropped a response held by hangNext).
   */
  closedBeforeEnd: boolean;
}

export interface ScriptedFailure {
  status: number;
  /** Sent as the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string | number;
  /** Response body; defaults to an OpenAI-style error object. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Only requests to this path consume the failure; default: any path. */
  path?: string;
  /** Only requests for this model (the body's `model`) consume the failure; default: any model. */
  model?: string;
}

export type RouteHandler = (request: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeOpenAIOptions {
  /** Length of embeddings when a request does not send `dimensions`. Default 64. */
  embeddingDimension?: number;
  /** Reply of chat completions; a function can answer from the request body. */
  chatReply?: string | ((body: ChatRequestBody) => string);
  /** Pause between SSE chunks, to test streaming clients. Default 0. */
  streamChunkDelayMs?: number;
  /**
   * The model's context window: a chat request whose messages (counted with cl100k_base) plus `max_tokens`
   * exceed it is refused with 400 `context_length_exceeded`, as OpenAI and vLLM do. Default: no limit.
   */
  contextTokens?: number;
}

export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

type Scripted = { kind: 'fail'; failure: ScriptedFailure } | { kind: 'hang'; path?: string };

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  embeddingDimension: number;
  chatReply: string | ((body: ChatRequestBody) => string);
  streamChunkDelayMs: number;
  contextTokens: number | null;

  private server: Server | null = null;
  private readonly script: Scripted[] = [];
  private readonly routes = new Map<string, RouteHandler>();
  /** Responses held open by hangNext, answered (closed) only by stop(). */
  private readonly hanging = new Set<ServerResponse>();

  constructor(options: FakeOpenAIOptions = {}) {
    this.embeddingDimension = options.embeddingDimension ?? 64;
    this.chatReply = options.chatReply ?? 'This is a fake answer grounded in [1].';
    this.streamChunkDelayMs = options.streamChunkDelayMs ?? 0;
    this.contextTokens = options.contextTokens ?? null;
    this.route('POST', '/v1/embeddings', (request, res) => this.answerEmbeddings(request, res));
    this.route('POST', '/v1/chat/completions', (request, res) => this.chatCompletions(request, res));
  }

  /** Listens on 127.0.0.1 on `port` (a free one by default); resolves to the base URL to give the SDK, e.g. http://127.0.0.1:PORT/v1. */
  async start(port = 0): Promise<string> {
    if (this.server) throw new Error('FakeOpenAI is already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody(`fake server error: ${String(error)}`, 'server_error'));
        else res.destroy();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  /**
   * Starts the fake and returns the settings that send Groundwork's OpenAI-compatible calls to it with a test key:
   * chat answers, embeddings (at this fake's dimension) or both. Spread first into createTestEnv's overrides.
   */
  async startFor(serves: { chat?: boolean; embeddings?: boolean }): Promise<Record<string, string>> {
    const settings: Record<string, string> = { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: await this.start() };
    if (serves.chat) settings.LLM_PROVIDER = 'openai';
    if (serves.embeddings) {
      Object.assign(settings, { EMBEDDING_PROVIDER: 'openai', EMBEDDING_MODEL: 'text-embedding-3-small', EMBEDDING_DIMENSION: String(this.embeddingDimension) });
    }
    return settings;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    // Clients keep connections alive; without this close() would wait for them to time out.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  /** The next `n` requests (to `failure.path`, if given) get `failure` instead of an answer. */
  failNext(n: number, failure: ScriptedFailure): this {
    for (let i = 0; i < n; i++) this.script.push({ kind: 'fail', failure });
    return this;
  }

  /** The next `n` requests (to `path`, if given) are never answered, so clients hit their timeouts. */
  hangNext(n: number, path?: string): this {
    for (let i = 0; i < n; i++) this.script.push({ kind: 'hang', path });
    return this;
  }

  /** Adds or replaces the handler for one method and path (path without query string). */
  route(method: string, path: string, handler: RouteHandler): this {
    this.routes.set(routeKey(method, path), handler);
    return this;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Forgets logged requests and pending scripted failures; routes and settings stay. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0],
      headers: req.headers,
      body: parseBody(text),
      time: Date.now(),
      closedBeforeEnd: false,
    };
    this.requests.push(request);
    res.on('close', () => {
      if (!res.writableFinished) request.closedBeforeEnd = true;
    });

    const scripted = this.takeScripted(request);
    if (scripted?.kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (scripted?.kind === 'fail') return sendFailure(res, scripted.failure);

    const handler = this.routes.get(routeKey(request.method, request.path));
    if (!handler) {
      return sendJson(res, 404, errorBody(`Unknown route ${request.method} ${request.path}`, 'invalid_request_error'));
    }
    await handler(request, res);
  }

  private takeScripted(request: RecordedRequest): Scripted | undefined {
    const model = (request.body as { model?: unknown } | undefined)?.model;
    const index = this.script.findIndex((entry) => {
      const only = entry.kind === 'fail' ? entry.failure.path : entry.path;
      const onlyModel = entry.kind === 'fail' ? entry.failure.model : undefined;
      return (only === undefined || only === request.path) && (onlyModel === undefined || onlyModel === model);
    });
    return index < 0 ? undefined : this.script.splice(index, 1)[0];
  }

  /** The embeddings route's own answer: a suite's route that breaks or delays some requests answers the rest with it. */
  answerEmbeddings(request: RecordedRequest, res: ServerResponse): void {
    const body = (request.body ?? {}) as { input?: unknown; model?: string; dimensions?: number; encoding_format?: string };
    const raw: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
    const inputs = raw.filter((input): input is string => typeof input === 'string' && input !== '');
    if (inputs.length === 0 || inputs.length !== raw.length) {
      const message = "'input' must be a non-empty string or an array of them";
      return sendJson(res, 400, errorBody(message, 'invalid_request_error', 'input'));
    }
    const dimension = body.dimensions ?? this.embeddingDimension;
    const tokens = inputs.reduce((sum, input) => sum + approximateTokens(input), 0);
    sendJson(res, 200, {
      object: 'list',
      data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: encodeEmbedding(fakeEmbedding(input, dimension), body.encoding_format) })),
      model: body.model ?? 'text-embedding-3-small',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  private async chatCompletions(request: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = (request.body ?? {}) as ChatRequestBody;
    if (this.contextTokens !== null) {
      const requested = (body.messages ?? []).reduce((sum, message) => sum + countTokens(String(message.content)), 0) + Number(body.max_tokens ?? 0);
      if (requested > this.contextTokens) {
        const message = `This model's maximum context length is ${this.contextTokens} tokens. However, you requested ${requested} tokens. Please reduce the length of the messages.`;
        return sendJson(res, 400, errorBody(message, 'invalid_request_error', 'messages', 'context_length_exceeded'));
      }
    }
    const reply = typeof this.chatReply === 'function' ? this.chatReply(body) : this.chatReply;
    const model = body.model ?? 'gpt-4o-mini';
    const id = `chatcmpl-fake-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = approximateTokens(JSON.stringify(body.messages ?? []));
    const completionTokens = approximateTokens(reply);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };

    if (!body.stream) {
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' },
        ],
        usage,
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: object, finishReason: string | null, extra: object = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...extra,
    });
    const events: object[] = [chunk({ role: 'assistant', content: '' }, null)];
    // Word-sized deltas (spaces kept) make clients assemble text the way they must with a real model.
    for (const piece of reply.match(/\S+\s*|\s+/g) ?? []) events.push(chunk({ content: piece }, null));
    events.push(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) {
      events.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
    for (const event of events) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      if (this.streamChunkDelayMs > 0) await delay(this.streamChunkDelayMs);
    }
    res.end('data: [DONE]\n\n');
  }
}

/** Deterministic unit vector derived from the text: the same text always gets the same embedding. */
export function fakeEmbedding(text: string, dimension: number): number[] {
  let state = fnv1a(text) || 1;
  const values: number[] = [];
  for (let i = 0; i < dimension; i++) {
    // xorshift32: cheap, deterministic, good enough to spread values.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values.push(((state >>> 0) / 0xffffffff) * 2 - 1);
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}

/**
 * An embedding as OpenAI sends it: a float array, or with `encoding_format: "base64"` (which the openai SDK asks
 * for by default) the base64 of its little-endian float32 bytes.
 */
export function encodeEmbedding(vector: number[], encodingFormat?: string): number[] | string {
  if (encodingFormat !== 'base64') return vector;
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** About four characters per token, which is all usage figures in tests need. */
function approximateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: the raw text is what a test wants to see
  }
}

function errorBody(message: string, type: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendFailure(res: ServerResponse, failure: ScriptedFailure): void {
  const headers: Record<string, string> = { ...failure.headers };
  if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
  const type =
    failure.status === 429 ? 'rate_limit_exceeded' : failure.status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, failure.status, failure.body ?? errorBody(`Scripted failure ${failure.status}`, type), headers);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
