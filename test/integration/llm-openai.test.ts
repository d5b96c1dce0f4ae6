import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AnswerInput, GenerationEvent, LlmUnavailableError, OpenAIAnswerGenerator, OpenAIAnswerGeneratorOptions } from '@app/llm';
import { FakeOpenAI } from '../support/fake-openai';
import { until } from '../support/until';

const input: AnswerInput = {
  question: 'How many vacation days?',
  sources: [{ n: 1, title: 'Handbook', text: 'New employees receive 27 vacation days.', pageStart: 2, pageEnd: 2 }],
  messages: [
    { role: 'system', content: 'Answer from the sources.' },
    { role: 'user', content: '<source n="1">New employees receive 27 vacation days.</source>\nQuestion: How many vacation days?' },
  ],
};

async function run(generator: OpenAIAnswerGenerator, signal = new AbortController().signal): Promise<{ text: string; end: Extract<GenerationEvent, { type: 'end' }> }> {
  let text = '';
  for await (const event of generator.generate(input, signal)) {
    if (event.type === 'delta') text += event.text;
    else return { text, end: event };
  }
  throw new Error('generation ended without an end event');
}

describe('OpenAIAnswerGenerator with the real openai SDK against an OpenAI-compatible server', () => {
  const fake = new FakeOpenAI({ chatReply: (body) => `Answer from ${body.model}: 27 days [1].` });
  let baseURL: string;
  const chatRequests = () => fake.requestsTo('/v1/chat/completions');
  const models = () => chatRequests().map((request) => (request.body as { model: string }).model);
  const generator = (options: Partial<OpenAIAnswerGeneratorOptions> = {}) =>
    new OpenAIAnswerGenerator({ apiKey: 'test-key', baseURL, model: 'primary', timeoutMs: 2_000, maxRetries: 2, baseDelayMs: 1, random: () => 0, ...options });

  before(async () => {
    baseURL = await fake.start();
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    fake.streamChunkDelayMs = 0;
  });

  it('streams the answer in pieces, with the provider usage, sending the prompt as given', async () => {
    const deltas: string[] = [];
    for await (const event of generator().generate(input, new AbortController().signal)) if (event.type === 'delta') deltas.push(event.text);
    assert.equal(deltas.join(''), 'Answer from primary: 27 days [1].');
    assert.ok(deltas.length > 1);
    const { end } = await run(generator());
    assert.equal(end.model, 'primary');
    assert.ok(end.usage && end.usage.promptTokens > 0 && end.usage.completionTokens > 0);
    const body = chatRequests()[0].body as { messages: unknown; stream: boolean; stream_options: unknown };
    assert.deepEqual(body.messages, input.messages);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  it('a 429 is retried after its Retry-After, then succeeds', async () => {
    fake.failNext(1, { status: 429, retryAfter: '0.4' });
    const { text } = await run(generator());
    assert.match(text, /27 days/);
    const [first, second] = chatRequests();
    // Without Retry-After the jitter (random = 0) would retry at once.
    assert.ok(second.time - first.time >= 380, `retried after ${second.time - first.time} ms`);
  });

  it('a Retry-After longer than a user should wait goes to the fallback at once', async () => {
    fake.failNext(1, { status: 429, retryAfter: 120, model: 'primary' });
    const started = Date.now();
    const { end } = await run(generator({ fallbackModel: 'fallback' }));
    assert.equal(end.model, 'fallback');
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual(models(), ['primary', 'fallback']);
  });

  it('5xx responses are retried up to maxRetries', async () => {
    fake.failNext(2, { status: 502 });
    const { end } = await run(generator());
    assert.equal(end.model, 'primary');
    assert.equal(chatRequests().length, 3);
  });

  it('a request that gets no answer times out and is retried', async () => {
    fake.hangNext(1, '/v1/chat/completions');
    const started = Date.now();
    const { text } = await run(generator({ timeoutMs: 300 }));
    assert.match(text, /27 days/);
    assert.ok(Date.now() - started >= 290);
    assert.equal(chatRequests().length, 2);
  });

  it('a 400 is not retried and not held against the model; the fallback gets the request', async () => {
    fake.failNext(1, { status: 400, model: 'primary' });
    const g = generator({ fallbackModel: 'fallback' });
    assert.equal((await run(g)).end.model, 'fallback');
    assert.deepEqual(models(), ['primary', 'fallback']);
    assert.equal(g.circuitFor('primary').currentState, 'closed');
  });

  it('a primary that keeps failing opens its circuit: the fallback answers at once, and a trial after the cooldown closes it again', async () => {
    const clock = { now: 0 };
    const g = generator({ fallbackModel: 'fallback', circuitBreaker: { now: () => clock.now } });
    fake.failNext(100, { status: 503, model: 'primary' });
    assert.equal((await run(g)).end.model, 'fallback'); // 3 failed attempts
    assert.equal((await run(g)).end.model, 'fallback'); // 2 more: the 5th opens the circuit
    assert.equal(g.circuitFor('primary').currentState, 'open');
    assert.equal(models().filter((m) => m === 'primary').length, 5);

    const before = chatRequests().length;
    assert.equal((await run(g)).end.model, 'fallback');
    assert.deepEqual(models().slice(before), ['fallback'], 'an open circuit sends nothing to the primary');

    fake.reset(); // the primary has recovered
    clock.now += 59_999;
    assert.equal((await run(g)).end.model, 'fallback');
    clock.now += 1;
    assert.equal((await run(g)).end.model, 'primary', 'half-open after 60 s: the trial call succeeds');
    assert.equal(g.circuitFor('primary').currentState, 'closed');
  });

  it('when every model fails: LlmUnavailableError (503 llm_unavailable) naming each failure', async () => {
    fake.failNext(100, { status: 500 });
    await assert.rejects(run(generator({ fallbackModel: 'fallback', maxRetries: 1 })), (error: unknown) => {
      assert.ok(error instanceof LlmUnavailableError);
      assert.equal(error.code, 'llm_unavailable');
      assert.equal(error.status, 503);
      assert.equal((error.details as { failures: string[] }).failures.length, 4);
      return true;
    });
    assert.deepEqual(models(), ['primary', 'primary', 'fallback', 'fallback']);
  });

  it('a stream that stalls after its first token ends with llm_stream_interrupted, not a retry', async () => {
    const stalling = new FakeOpenAI().route('POST', '/v1/chat/completions', (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = { id: 'x', object: 'chat.completion.chunk', created: 0, model: 'primary', choices: [{ index: 0, delta: { content: 'Partial' }, finish_reason: null }] };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      // ...and nothing more: the watchdog must end it.
    });
    const stallingURL = await stalling.start();
    try {
      const events: GenerationEvent[] = [];
      const g = generator({ baseURL: stallingURL, timeoutMs: 200, fallbackModel: 'fallback' });
      await assert.rejects(
        (async () => {
          for await (const event of g.generate(input, new AbortController().signal)) events.push(event);
        })(),
        { code: 'llm_stream_interrupted' },
      );
      assert.deepEqual(events, [{ type: 'delta', text: 'Partial' }]);
      assert.equal(stalling.requests.length, 1);
      await until(() => stalling.requests[0].closedBeforeEnd, 2_000, 'the stalled request was not closed');
    } finally {
      await stalling.stop();
    }
  });

  it('a stream the server cuts off is retried before its first token and an interruption after it', async () => {
    let calls = 0;
    const cutting = new FakeOpenAI().route('POST', '/v1/chat/completions', (_request, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const content = calls === 1 ? '' : 'Half an answer';
      const chunk = { id: 'x', object: 'chat.completion.chunk', created: 0, model: 'primary', choices: [{ index: 0, delta: { content }, finish_reason: null }] };
      res.end(`data: ${JSON.stringify(chunk)}\n\n`); // no finish_reason, no [DONE]
    });
    const cuttingURL = await cutting.start();
    try {
      const events: GenerationEvent[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of generator({ baseURL: cuttingURL }).generate(input, new AbortController().signal)) events.push(event);
        })(),
        { code: 'llm_stream_interrupted' },
      );
      assert.equal(calls, 2, 'the empty cut-off stream was retried');
      assert.deepEqual(events, [{ type: 'delta', text: 'Half an answer' }]);
    } finally {
      await cutting.stop();
    }
  });

  describe('a server that streams chunks without end', () => {
    /** A chat server that sends `chunks` (each a choice's delta, or a whole chunk), then `forever` every 20 ms until the client leaves. */
    async function streaming(chunks: object[], forever: object | null): Promise<{ server: FakeOpenAI; url: string }> {
      const wrap = (part: object) => ('choices' in part ? part : { choices: [{ index: 0, delta: part, finish_reason: null }] });
      const server = new FakeOpenAI().route('POST', '/v1/chat/completions', (_request, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const chunk of chunks) res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'primary', ...wrap(chunk) })}\n\n`);
        if (!forever) return;
        const timer = setInterval(() => res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'primary', ...wrap(forever) })}\n\n`), 20);
        res.on('close', () => clearInterval(timer));
      });
      return { server, url: await server.start() };
    }

    /** What the generator gave, or its error; given up after 10 s, so that without its bound a test fails rather than hangs. */
    async function events(g: OpenAIAnswerGenerator): Promise<{ events: GenerationEvent[]; error: unknown }> {
      const seen: GenerationEvent[] = [];
      try {
        for await (const event of g.generate(input, AbortSignal.timeout(10_000))) seen.push(event);
        return { events: seen, error: null };
      } catch (error) {
        return { events: seen, error };
      }
    }

    const allClosed = (server: FakeOpenAI) => until(() => server.requests.every((request) => request.closedBeforeEnd), 2_000, 'a request was left open upstream');

    it('empty deltas, or chunks without choices, are not tokens: no text within timeoutMs ends the request, before the first token and after it', async () => {
      for (const empty of [{}, { choices: [] }]) {
        const { server, url } = await streaming([], empty);
        try {
          const { error } = await events(generator({ baseURL: url, timeoutMs: 300, maxRetries: 0 }));
          assert.equal((error as { code?: string }).code, 'llm_unavailable', JSON.stringify(empty));
          assert.match((error as Error).message, /no token within 300 ms/);
          await allClosed(server);
        } finally {
          await server.stop();
        }
      }
      const { server, url } = await streaming([{ content: 'Partial' }], {});
      try {
        const { events: seen, error } = await events(generator({ baseURL: url, timeoutMs: 300 }));
        assert.deepEqual([seen, (error as { code?: string }).code], [[{ type: 'delta', text: 'Partial' }], 'llm_stream_interrupted']);
        await allClosed(server);
      } finally {
        await server.stop();
      }
    });

    it('reasoning or tool calls count toward twice max_tokens: with no answer the model fails at once, after an answer begins it ends there', async () => {
      const reasoning = await streaming([], { reasoning_content: 'I should think about this some more. ' });
      try {
        const { error } = await events(generator({ baseURL: reasoning.url, maxAnswerTokens: 50 }));
        assert.equal((error as { code?: string }).code, 'llm_unavailable');
        assert.match((error as Error).message, /streamed 100 tokens without an answer/);
        assert.equal(reasoning.server.requests.length, 1, 'not retried: the model cannot answer within its length');
        await allClosed(reasoning.server);
      } finally {
        await reasoning.server.stop();
      }
      const toolCalls = await streaming([{ content: 'Twenty-seven days [1].' }], { tool_calls: [{ index: 0, function: { arguments: '{"day": 27, "again": true}' } }] });
      try {
        const { events: seen, error } = await events(generator({ baseURL: toolCalls.url, maxAnswerTokens: 50 }));
        assert.equal(error, null);
        assert.deepEqual(seen.map((event) => event.type), ['delta', 'end']);
        await allClosed(toolCalls.server);
      } finally {
        await toolCalls.server.stop();
      }
    });

    it("content that is not a string is no text, usage that is not counts is not believed, and a stream that said why it stopped is whole without [DONE]", async () => {
      const finish = { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 'abc', completion_tokens: -5, total_tokens: 0 } };
      const { server, url } = await streaming([{ content: { text: 'object' } }, { content: 7 }, { content: 'Twenty-seven days [1].' }, finish], null);
      try {
        const { events: seen, error } = await events(generator({ baseURL: url, timeoutMs: 300 }));
        assert.equal(error, null);
        assert.deepEqual(seen, [{ type: 'delta', text: 'Twenty-seven days [1].' }, { type: 'end', model: 'primary', usage: null }]);
      } finally {
        await server.stop();
      }
    });
  });

  it('aborting the signal mid-stream aborts the upstream request', async () => {
    fake.streamChunkDelayMs = 50;
    const controller = new AbortController();
    const reason = new Error('client left');
    let deltas = 0;
    await assert.rejects(
      (async () => {
        for await (const event of generator().generate(input, controller.signal)) {
          if (event.type === 'delta' && ++deltas === 1) controller.abort(reason);
        }
      })(),
      (error: unknown) => error === reason,
    );
    await until(() => chatRequests()[0].closedBeforeEnd, 2_000, 'the aborted request was not closed upstream');
  });
});
