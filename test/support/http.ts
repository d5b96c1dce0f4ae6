import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
import { basename } from 'node:path';
import { authHeaders } from './test-keys';

/**
 * A response body as JSON.parse returns it. Tests read it by path (`body.error.code`) and assert on what they
 * find, so it stays untyped; a test that wants a checked shape passes its own type to requestJson.
 */
export type JsonBody = ReturnType<typeof JSON.parse>;

export interface JsonResponse<T = JsonBody> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions extends RequestInit {
  json?: unknown;
  /** The API key to send as a bearer token: the test admin key by default, null for none. */
  apiKey?: string | null;
}

export async function requestJson<T = JsonBody>(baseUrl: string, path: string, init: RequestOptions = {}): Promise<JsonResponse<T>> {
  const { json, apiKey, ...rest } = init;
  const response = await fetch(`${baseUrl}${path}`, {
    ...rest,
    headers: {
      ...authHeaders(apiKey),
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...((rest.headers as Record<string, string> | undefined) ?? {}),
    },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** A file to upload: one on disk, or a name and the bytes. */
export type UploadSource = { path: string } | { name: string; content: string | Uint8Array };

/** POSTs a file from disk (or given bytes) to /v1/documents as multipart/form-data, with optional fields. */
export async function uploadFile(
  baseUrl: string,
  file: UploadSource,
  fields: Record<string, string> = {},
  options: { apiKey?: string | null } = {},
): Promise<JsonResponse> {
  const form = new FormData();
  const [name, bytes] = 'path' in file ? [basename(file.path), await readFile(file.path)] : [file.name, file.content];
  form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return requestJson(baseUrl, '/v1/documents', { method: 'POST', body: form, apiKey: options.apiKey });
}

/** Polls a document until it leaves queued/processing; fails the test after `timeoutMs`. */
export async function waitForDocument(baseUrl: string, id: string, timeoutMs = 60_000, apiKey?: string): Promise<JsonBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, headers, body } = await requestJson(baseUrl, `/v1/documents/${id}`, { apiKey });
    if (status === 503 && body?.error?.code === 'database_unavailable') {
      // What a client is told to do: wait as long as Retry-After says, then ask again.
      await new Promise((resolve) => setTimeout(resolve, Number(headers.get('retry-after')) * 1000));
      continue;
    }
    if (status !== 200) throw new Error(`GET /v1/documents/${id} answered ${status}: ${JSON.stringify(body)}`);
    if (body.status !== 'queued' && body.status !== 'processing') return body;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${body.status} after ${timeoutMs} ms: ${JSON.stringify(body.progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Uploads a file, asserts the 202, waits until the document leaves queued/processing and asserts it is ready:
 * the set-up most suites need before they ask anything. The same key uploads and polls. Returns the document.
 */
export async function uploadReady(
  baseUrl: string,
  file: UploadSource,
  fields: Record<string, string> = {},
  options: { apiKey?: string; timeoutMs?: number } = {},
): Promise<JsonBody> {
  const upload = await uploadFile(baseUrl, file, fields, { apiKey: options.apiKey });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  const doc = await waitForDocument(baseUrl, upload.body.document_id, options.timeoutMs, options.apiKey);
  assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
  return doc;
}

/** Polls GET /v1/jobs/:id until `done(job)` holds (by default: completed or failed); fails the test after `timeoutMs`. */
export async function waitForJob(
  baseUrl: string,
  id: string,
  options: { apiKey?: string; timeoutMs?: number; done?: (job: JsonBody) => boolean } = {},
): Promise<JsonBody> {
  const { apiKey, timeoutMs = 60_000, done = (job: JsonBody) => job.state === 'completed' || job.state === 'failed' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await requestJson(baseUrl, `/v1/jobs/${id}`, { apiKey });
    if (status !== 200) throw new Error(`GET /v1/jobs/${id} answered ${status}: ${JSON.stringify(body)}`);
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.state} after ${timeoutMs} ms: ${JSON.stringify(body.progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Opens a raw connection to the api at `port` and sends a multipart upload's request head, declaring
 * `contentLength` bytes of body, then `body`: how tests send an upload that stalls or is cut off mid-body,
 * which fetch cannot. The socket stays open; resets after the test gives up on it are ignored.
 */
export async function startRawUpload(port: number, boundary: string, contentLength: number, body: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  const headers = [
    'POST /v1/documents HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `Authorization: ${authHeaders().Authorization}`,
    `Content-Type: multipart/form-data; boundary=${boundary}`,
    `Content-Length: ${contentLength}`,
  ];
  socket.write(`${headers.join('\r\n')}\r\n\r\n${body}`);
  return socket;
}
