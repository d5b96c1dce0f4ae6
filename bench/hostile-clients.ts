// Clients that hold the api's connections: --clients connections each send --pipelined requests for /docs-json
// (no key needed) at once and then read nothing, for --seconds; the api's resident memory (peak) and open file
// descriptors (at the start and the end) show what they cost it. With --upload-seconds N, a text file is then
// uploaded in pieces spread evenly over N seconds (past 300, Node's default whole-request limit). Then, for
// --flood-seconds each, 10 clients without a key ask one of the routes open to anyone without pause while a
// client with the admin key times GET /v1/documents (percentiles), against the same without the flood. Starts its
// own api process (no worker) on a scratch database, configured by --set; prints JSON.
//
//   npm run bench:hostile-clients -- [--clients 200] [--pipelined 100] [--seconds 30] [--upload-seconds 0]
//                                    [--flood-seconds 10] [--set NAME=VALUE]...
import { Agent, get, request } from 'node:http';
import { connect, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/ports';
import { openFileDescriptors, spawnApp, stopProcess, waitForHttp } from '../test/support/processes';
import { createTestEnv } from '../test/support/test-env';
import { authHeaders } from '../test/support/test-keys';
import { settingsFrom } from './bench-system';
import { percentiles } from './percentiles';
import { sampleProcessTreeRss } from './process-tree-memory';

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '200' },
      pipelined: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '30' },
      'upload-seconds': { type: 'string', default: '0' },
      'flood-seconds': { type: 'string', default: '10' },
      set: { type: 'string', multiple: true, default: [] },
    },
  });
  const env = await createTestEnv({ PORT: String(await freePort()), LOG_LEVEL: 'error', ...settingsFrom(values.set) });
  const api = spawnApp('api', env.env);
  try {
    const port = env.config.port;
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, api);
    const stalled = await stalledReaders(api.pid!, port, Number(values.clients), Number(values.pipelined), Number(values.seconds));
    const uploadSeconds = Number(values['upload-seconds']);
    const upload = uploadSeconds > 0 ? await trickledUpload(port, uploadSeconds) : null;
    const floodSeconds = Number(values['flood-seconds']);
    const floods = [];
    if (floodSeconds > 0) for (const path of [null, ...PUBLIC_ROUTES]) floods.push(await flood(port, path, floodSeconds));
    console.log(JSON.stringify({ stalled_readers: stalled, upload, floods }));
  } finally {
    await stopProcess(api);
    await env.cleanup();
  }
}

/** Opens the connections, waits, and reports the api's memory and descriptors; closes them after. */
async function stalledReaders(pid: number, port: number, clients: number, pipelined: number, seconds: number) {
  const now = () => ({ rss_mb: Math.round(sampleProcessTreeRss(pid).stop() / MB), fds: openFileDescriptors(pid) });
  const before = now();
  const peak = sampleProcessTreeRss(pid, 250);
  const sockets: Socket[] = [];
  for (let i = 0; i < clients; i++) {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /docs-json HTTP/1.1\r\nHost: bench\r\n\r\n'.repeat(pipelined));
      socket.pause();
    });
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  await sleep(seconds * 1000);
  const end = now();
  const peakMb = Math.round(peak.stop() / MB);
  sockets.forEach((socket) => socket.destroy());
  return { clients, pipelined, seconds, before, peak_rss_mb: peakMb, end };
}

/** A multipart upload of a text file sent in pieces every 500 ms over `seconds`: the status and when it came. */
function trickledUpload(port: number, seconds: number): Promise<{ seconds: number; status: number | string; error_code?: string }> {
  const boundary = 'bench-trickled-upload';
  const piece = 'A line of a document that arrives slowly, as over a poor uplink.\n'.repeat(10);
  const pieces = seconds * 2;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + pieces * Buffer.byteLength(piece) + Buffer.byteLength(tail);
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  return new Promise((resolve) => {
    const upload = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/documents',
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': length },
      },
      (res) => {
        let body = '';
        res.on('data', (data: Buffer) => (body += data.toString()));
        res.on('end', () => resolve({ seconds: elapsed(), status: res.statusCode!, error_code: /"code":"([^"]+)"/.exec(body)?.[1] }));
      },
    );
    let sent = 0;
    const timer = setInterval(() => {
      if (sent++ < pieces) upload.write(piece);
      else {
        clearInterval(timer);
        upload.end(tail);
      }
    }, 500);
    upload.on('error', (error) => {
      clearInterval(timer);
      resolve({ seconds: elapsed(), status: error.message });
    });
    upload.write(head);
  });
}

/**
 * Routes that answer without a key (the OpenAPI document, health probes, metrics unless METRICS_REQUIRE_AUTH),
 * and /docs-yaml, which earlier releases served (rendered anew for every request) and this one answers 404.
 */
const PUBLIC_ROUTES = ['/health/live', '/health/ready', '/metrics', '/docs-json', '/docs-yaml'];
const FLOOD_CLIENTS = 10;

/** A keyed request's time (GET /v1/documents) while FLOOD_CLIENTS ask `path` without pause (none: quiet). */
async function flood(port: number, path: string | null, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CLIENTS });
  let stop = false;
  let flooded = 0;
  const ask = (route: string) =>
    new Promise<void>((resolve) => get({ host: '127.0.0.1', port, path: route, agent }, (res) => res.resume().on('end', resolve)).on('error', () => resolve()));
  const flooding = path ? Array.from({ length: FLOOD_CLIENTS }, async () => {
    while (!stop) {
      await ask(path);
      flooded++;
    }
  }) : [];
  const times: number[] = [];
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    const sent = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/v1/documents`, { headers: authHeaders() });
    await response.arrayBuffer();
    times.push(performance.now() - sent);
  }
  stop = true;
  await Promise.all(flooding);
  agent.destroy();
  return { route: path ?? 'none', flood_per_second: Math.round(flooded / seconds), keyed_ms: percentiles(times) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
