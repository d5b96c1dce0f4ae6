import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { Client } from 'pg';
import { createApiKey } from '../support/api-keys';
import { requestJson, uploadReady } from '../support/http';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const HANDBOOK = [
  '# Leave',
  '',
  'New employees receive twenty-seven vacation days per year. Unused vacation days expire at the end of March.',
  '',
  '# Travel',
  '',
  'Train travel is reimbursed in second class. Flights need the approval of a director.',
].join('\n');

/** The extension fields Groundwork adds to OpenAI's types. */
type WithCitations = { citations?: { n: number; title: string; page_start: number; quote: string }[] };

describe('OpenAI-compatible chat completions and models, through the real openai SDK (HTTP, PostgreSQL, Redis, worker)', () => {
  const suite = useSystem();
  let client: OpenAI;
  let otherTenant: OpenAI;

  before(async () => {
    const reader = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'reader', name: 'chat ui' })).key;
    const member = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'uploads' })).key;
    const beta = (await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'reader', name: 'beta chat' })).key;
    await uploadReady(suite.system.baseUrl, { name: 'handbook.md', content: HANDBOOK }, { collection: 'hr', title: 'Handbook' }, { apiKey: member });
    client = new OpenAI({ apiKey: reader, baseURL: `${suite.system.baseUrl}/v1`, maxRetries: 0, timeout: 20_000 });
    otherTenant = new OpenAI({ apiKey: beta, baseURL: `${suite.system.baseUrl}/v1`, maxRetries: 0, timeout: 20_000 });
  });

  test("lists the key's collections as models, and no other tenant's", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.deepEqual(ids, ['groundwork:hr']);
    const theirs: string[] = [];
    for await (const model of otherTenant.models.list()) theirs.push(model.id);
    assert.deepEqual(theirs, []);
    // One model, as client.models.retrieve asks for it; another tenant's is not found.
    const model = await client.models.retrieve('groundwork:hr');
    assert.deepEqual([model.id, model.object, model.owned_by], ['groundwork:hr', 'model', 'acme']);
    await assert.rejects(otherTenant.models.retrieve('groundwork:hr'), (error: unknown) => error instanceof OpenAI.APIError && error.status === 404 && error.code === 'model_not_found');
    await assert.rejects(client.models.retrieve('gpt-4o'), (error: unknown) => error instanceof OpenAI.APIError && error.status === 404 && error.code === 'model_not_found');
  });

  test('accepts what OpenAI clients send besides the question (tool turns, an answer appended as it came, fields for tools and formats) and ignores it', async () => {
    const completion = await client.chat.completions.create({
      model: 'groundwork:hr',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'What is the weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny.' },
        // An earlier answer of an OpenAI model, appended to the history as the SDK returned it.
        { role: 'assistant', content: 'It is sunny.', refusal: null } as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'user', content: 'How many vacation days do new employees get?' },
      ],
      store: false,
      parallel_tool_calls: false,
      logprobs: false,
      logit_bias: {},
      response_format: { type: 'text' },
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
      service_tier: 'auto',
    });
    assert.match(completion.choices[0].message.content ?? '', /twenty-seven vacation days/);
    assert.equal(completion.choices[0].message.tool_calls, undefined, 'no tool is called');
  });

  test('answers the last user message from the collection the model names, with references in the text and citations beside it', async () => {
    const completion = await client.chat.completions.create({
      model: 'groundwork:hr',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'How is train travel reimbursed?' },
        { role: 'assistant', content: 'In second class.' },
        { role: 'user', content: [{ type: 'text', text: 'How many vacation days do new employees get?' }] },
      ],
      temperature: 0.2,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'groundwork:hr');
    const content = completion.choices[0].message.content ?? '';
    assert.match(content, /twenty-seven vacation days/);
    assert.match(content, /\[1\]/);
    assert.match(content, /\n\nSources:\n\[1\] Handbook, pp?\. \d+/);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    const { citations } = completion as unknown as WithCitations;
    assert.equal(citations?.[0].n, 1);
    assert.equal(citations?.[0].title, 'Handbook');
    assert.match(citations?.[0].quote ?? '', /twenty-seven/);
    assert.ok(completion.usage && completion.usage.total_tokens >= 0);
  });

  test('a follow-up is searched with the conversation before it (offline: the previous question\'s words carried over)', async () => {
    const completion = await client.chat.completions.create({
      model: 'groundwork:hr',
      messages: [
        { role: 'user', content: 'How many vacation days do new employees get?' },
        { role: 'assistant', content: 'Twenty-seven a year.' },
        { role: 'user', content: 'and when do they expire?' },
      ],
      max_tokens: 100_000,
    });
    assert.match(completion.choices[0].message.content ?? '', /expire at the end of March/);
    const db = new Client({ connectionString: suite.env.config.databaseUrl });
    await db.connect();
    try {
      // The log is written while the answer goes out: wait for its row.
      const logged = async () =>
        (await db.query<{ query_text: string; max_tokens: number | null }>("SELECT query_text, max_tokens FROM query_logs WHERE query_text LIKE 'and when do they expire?%'")).rows;
      await until(async () => (await logged()).length === 1, 10_000, 'the follow-up was never logged');
      const [row] = await logged();
      assert.match(row.query_text, /^and when do they expire\? .*vacation days.*employees/);
      // An OpenAI client's max_tokens is lowered to LLM_MAX_ANSWER_TOKENS, not refused.
      assert.equal(row.max_tokens, suite.env.config.llm.maxAnswerTokens);
    } finally {
      await db.end();
    }
  });

  test('streams chunks whose content joined is the JSON answer, then citations, usage and [DONE]', async () => {
    const question = { model: 'groundwork:hr', messages: [{ role: 'user' as const, content: 'Do flights need approval?' }] };
    const whole = await client.chat.completions.create(question);
    const stream = await client.chat.completions.create({ ...question, stream: true, stream_options: { include_usage: true } });
    let content = '';
    let finish: string | null = null;
    let citations: WithCitations['citations'];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.id.startsWith('chatcmpl-'), true);
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      citations ??= (chunk as unknown as WithCitations).citations;
      usage ??= chunk.usage;
    }
    assert.equal(content, whole.choices[0].message.content);
    assert.match(content, /approval of a director/);
    assert.equal(finish, 'stop');
    assert.equal(citations?.[0].title, 'Handbook');
    assert.ok(usage, 'the usage chunk came');
  });

  test('refuses unknown models, missing or oversized questions and unknown fields with OpenAI-style errors the SDK raises', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, 404, 'model_not_found'],
      [{ model: 'groundwork:nowhere', messages: [{ role: 'user', content: 'hi' }] }, 404, 'not_found'],
      [{ model: 'groundwork:hr', messages: [{ role: 'system', content: 'no question' }] }, 400, 'invalid_messages'],
      [{ model: 'groundwork:hr', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }, 400, 'invalid_messages'],
      [{ model: 'groundwork:hr', messages: [{ role: 'user', content: [{ text: 'no type' }] }] }, 400, 'invalid_messages'],
      [{ model: 'groundwork:hr', messages: [{ role: 'user', content: 42 }] }, 400, 'invalid_messages'],
      [{ model: 'groundwork:hr', messages: [{ role: 'wizard', content: 'hi' }] }, 400, 'validation_failed'],
      [{ model: 'groundwork:hr', messages: [] }, 400, 'validation_failed'],
      [{ model: 'groundwork:hr', messages: [{ role: 'user', content: 'hi' }], n: 3 }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      await assert.rejects(
        client.chat.completions.create(body as never),
        (error: unknown) => error instanceof OpenAI.APIError && error.status === status && error.code === code,
        JSON.stringify(body).slice(0, 120),
      );
    }
    // A member of another tenant cannot reach acme's collection by its model id.
    await assert.rejects(otherTenant.chat.completions.create({ model: 'groundwork:hr', messages: [{ role: 'user', content: 'vacation?' }] }), { status: 404 });
  });

  test('is in OpenAPI', async () => {
    const { body } = await requestJson(suite.system.baseUrl, '/docs-json', { apiKey: null });
    assert.ok(body.paths['/v1/chat/completions']?.post);
    assert.ok(body.paths['/v1/models']?.get);
    assert.ok(body.paths['/v1/models/{model}']?.get);
  });
});
