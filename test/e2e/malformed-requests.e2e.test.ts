import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createApiKey } from '../support/api-keys';
import { requestJson } from '../support/http';
import { useSystem } from '../support/test-env';
import { authHeaders, TEST_ADMIN_KEY } from '../support/test-keys';

/**
 * Every operation of the OpenAPI document, sent malformed values: path parameters, query parameters, each body
 * field in turn and whole bodies that are not what the operation takes. Bad input must be a 4xx, never a 500
 * (a NUL character in a question, a collection name in a path or a feedback comment was one, and so was a null
 * comment, until this was run). New operations and fields are covered as they appear in the document.
 */

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

interface Operation {
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });
/** Field values of the wrong type, size or content. */
const BAD_VALUES: unknown[] = [null, true, -1, 1e308, 1.5, '', 'x'.repeat(100_000), '\u0000', 'a\ud800b', { team: 'a\udc00' }, [], ['x', 1, null], {}, { $gt: 1 }, nested(60)];
/** Query parameter values. */
const BAD_QUERY_VALUES = ['-1', '0', '1e9', 'NaN', 'a'.repeat(5_000), '%00', '%E0%A4%A', '[]', '{}'];
/** Whole bodies that are not an object of the operation's fields. */
const BAD_BODIES = ['', 'null', '[]', '"x"', '1', '{', '{"__proto__":{"polluted":1}}', '['.repeat(10_000)];

describe('malformed requests to every OpenAPI operation', () => {
  const suite = useSystem({ RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_GLOBAL_PER_MINUTE: '10000000' });
  let operations: [string, string, Operation][];
  let schemas: Record<string, Schema>;
  /** Ids of things that exist, so requests also reach the handlers past their lookups. */
  const existing: string[] = [];
  /** A tenant's member key: what a hostile tenant holds. Admin-only operations get the admin key. */
  let member: string;

  before(async () => {
    const { baseUrl } = suite.system;
    const document = (await requestJson(baseUrl, '/docs-json')).body as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
    schemas = document.components.schemas;
    operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]): [string, string, Operation] => [method.toUpperCase(), path, operation]));
    const key = await createApiKey(baseUrl, { tenant: 'fz', role: 'member', name: 'fuzzed' });
    member = key.key;
    await requestJson(baseUrl, '/v1/collections', { method: 'POST', json: { name: 'fz', description: 'fuzzed' }, apiKey: member });
    const conversation = await requestJson(baseUrl, '/v1/conversations', { method: 'POST', json: { title: 'fuzzed' }, apiKey: member });
    const answer = await requestJson(baseUrl, '/v1/query', { method: 'POST', json: { query: 'anything at all', collection: 'fz' }, apiKey: member });
    existing.push(conversation.body.id, answer.body.query_id, key.id, 'fz');
    assert.ok(existing.every(Boolean), JSON.stringify(existing));
  });

  const deref = (schema: Schema | undefined): Schema | undefined => (schema?.$ref ? schemas[schema.$ref.split('/').pop()!] : schema);

  /** A plausible value for a schema: its example, else its first enum value, else one of its type. */
  const plausible = (given: Schema | undefined, depth = 0): unknown => {
    const schema = deref(given);
    if (!schema || depth > 4) return null;
    if (schema.example !== undefined) return schema.example;
    if (schema.enum) return schema.enum[0];
    const first = schema.allOf?.[0] ?? schema.oneOf?.[0] ?? schema.anyOf?.[0];
    if (first) return plausible(first, depth + 1);
    switch (schema.type) {
      case 'object':
        return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, plausible(property, depth + 1)]));
      case 'array':
        return [plausible(schema.items, depth + 1)];
      case 'string':
        return schema.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : 'fz';
      case 'integer':
      case 'number':
        return schema.minimum ?? 1;
      case 'boolean':
        return false;
      default:
        return null;
    }
  };

  test('no malformed value gets a 5xx, and every operation was reached', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let requests = 0;
    /** Statuses an operation answered that its OpenAPI responses do not list. */
    const undocumented = new Set<string>();
    let operation: Operation;
    let template: string;
    const send = async (method: string, path: string, body?: { json: unknown } | { raw: string }) => {
      requests += 1;
      const apiKey = path.startsWith('/v1/admin') || path === '/metrics' ? TEST_ADMIN_KEY : member;
      const headers = { ...authHeaders(apiKey), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      let status: number;
      try {
        // Read whole but not parsed: an SSE stream or the dashboard's page is not JSON, and only the status matters.
        const response = await fetch(`${suite.system.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : 'json' in body ? JSON.stringify(body.json) : body.raw });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 400 && status < 500 && !(String(status) in operation.responses)) undocumented.add(`${method} ${template} ${status}`);
      if (status === 0 || status >= 500) failures.push(`${status} ${method} ${path.slice(0, 120)} ${JSON.stringify(body)?.slice(0, 160)}`);
      return status;
    };
    const ids = ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '%00', 'a'.repeat(3_000), '..%2F..%2Fetc', ...existing];

    for (const [method, operationTemplate, operationObject] of operations) {
      [template, operation] = [operationTemplate, operationObject];
      // Deleting what exists would leave nothing to reach; deleting by filter is fuzzed through its parameters.
      const paths = template.includes('{') ? ids.filter((id) => method !== 'DELETE' || !existing.includes(id)).map((id) => template.replace(/\{\w+\}/, id)) : [template];
      const queryNames = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const json = operation.requestBody?.content['application/json'];
      const base = json ? plausible(json.schema) : undefined;
      const withBase = base === undefined ? undefined : { json: base };
      // Bodies go to a path whose plausible request succeeded, so they reach the handler past its lookups.
      let target = paths[0];
      for (const path of paths) {
        if ((await send(method, path, withBase)) < 300 && target === paths[0]) target = path;
        for (const name of queryNames) for (const value of BAD_QUERY_VALUES) await send(method, `${path}?${name}=${value}`, withBase);
      }
      if (!json) continue;
      for (const raw of BAD_BODIES) await send(method, target, { raw });
      for (const field of Object.keys(deref(json.schema)?.properties ?? {})) {
        for (const value of BAD_VALUES) await send(method, target, { json: { ...(base as object), [field]: value } });
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
    assert.deepEqual([...undocumented].sort(), [], 'every 4xx an operation answered is in its OpenAPI responses');
    // And each error response says how to read it: the error body's schema.
    const bodiless = operations.flatMap(([method, path, { responses }]) =>
      Object.entries(responses).filter(([status, response]) => Number(status) >= 400 && !(response as { content?: Record<string, unknown> }).content?.['application/json']).map(([status]) => `${method} ${path} ${status}`));
    assert.deepEqual(bodiless, []);
    assert.ok(schemas.ErrorResponse, 'the error body is a schema');
    // It ran: every operation of the document, most of the requests refused as bad input.
    assert.ok(operations.length >= 30, `${operations.length} operations`);
    assert.ok((statuses.get(400) ?? 0) > requests / 3, JSON.stringify([...statuses]));
  });
});
