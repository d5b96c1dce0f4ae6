// Ingests hostile files — each built to exhaust a part of ingestion — through a freshly started api and worker
// (separate processes, own database), one after another, and prints JSON: for each, how the document ended
// (ready, or failed with its code), how long that took, the worker's peak RSS (with its extraction
// processes), whether the worker survived, the api's slowest /health/live meanwhile, and how long another
// tenant's one-line file, uploaded at the same moment, took to become ready.
//   npm run bench:hostile-files -- [--only flate_bomb,lone_surrogates,...] [--timeout-seconds 300] [--set NAME=VALUE]...
// The files (generated; sizes as the README's "Hostile input" table quotes them):
//   flate_bomb        a one-page PDF whose content stream inflates to 1 GiB of spaces (about 1 MB on disk)
//   lone_surrogates   a 21 KB PDF of one line of 20,000 glyphs, every other one mapped by its font to U+D800
//                     (half a UTF-16 pair)
//   equals_runs       1 MB of `=` as a text file, chunk_tokens 4000 (cl100k_base has single tokens of 32 `=`)
//   markdown_headings 400 KB of `# h` lines
//   short_lines       6 MiB of lines of 5 to 11 characters
//   one_long_line     10 MB of letters without a space or a line break
import { ChildProcess } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey } from '../test/support/api-keys';
import { JsonBody, requestJson, uploadFile, waitForDocument } from '../test/support/http';
import { startLivenessProbe } from '../test/support/liveness-probe';
import { writeFlateBombPdf, writeGlyphNamePdf } from '../test/support/pdf-fixtures';
import { freePort } from '../test/support/ports';
import { recentOutput, spawnApp, stopProcess, waitForHttp } from '../test/support/processes';
import { createTestEnv } from '../test/support/test-env';
import { settingsFrom } from './bench-system';
import { sampleProcessTreeRss } from './process-tree-memory';

interface HostileFile {
  /** Writes the file into `dir`; returns its path. */
  write(dir: string): Promise<string>;
  /** Upload fields besides the file. */
  fields?: Record<string, string>;
}

const MIB = 1024 * 1024;

const FILES: Record<string, HostileFile> = {
  flate_bomb: { write: (dir) => writeFlateBombPdf(join(dir, 'bomb.pdf'), 1024) },
  // One line: the chunker's search for a cut around lone surrogates was slow only over a long one.
  lone_surrogates: { write: (dir) => writeGlyphNamePdf(join(dir, 'surrogates.pdf'), 'uniD800', ['Ab'.repeat(10_000)], 0.02) },
  equals_runs: { write: (dir) => written(join(dir, 'equals.txt'), '='.repeat(1_000_000)), fields: { chunk_tokens: '4000' } },
  markdown_headings: { write: (dir) => written(join(dir, 'headings.md'), '# h\n'.repeat(100_000)) },
  short_lines: {
    write: (dir) => {
      const block = Array.from({ length: 1_000 }, (_, i) => `row ${i}`).join('\n') + '\n';
      return written(join(dir, 'rows.txt'), block.repeat(Math.ceil((6 * MIB) / block.length)));
    },
  },
  one_long_line: { write: (dir) => written(join(dir, 'line.txt'), 'abcdefghij'.repeat(1_000_000)) },
};

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '300' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const chosen = values.only ? values.only.split(',').map((name) => name.trim()) : Object.keys(FILES);
for (const name of chosen) if (!FILES[name]) throw new Error(`--only: no file named ${name} (there are ${Object.keys(FILES).join(', ')})`);
const timeoutMs = Number(values['timeout-seconds']) * 1000;

async function written(path: string, content: string): Promise<string> {
  await writeFile(path, content);
  return path;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const env = await createTestEnv({
    PORT: String(await freePort()),
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '10000000',
    ...settingsFrom(values.set!),
  });
  const baseUrl = `http://127.0.0.1:${env.config.port}`;
  const api = spawnApp('api', env.env);
  let worker: ChildProcess = spawnApp('worker', env.env);
  const results: Record<string, unknown>[] = [];
  try {
    await waitForHttp(`${baseUrl}/health/ready`, api);
    const attacker = (await createApiKey(baseUrl, { tenant: 'attacker', role: 'member', name: 'attacker' })).key;
    const bystander = (await createApiKey(baseUrl, { tenant: 'bystander', role: 'member', name: 'bystander' })).key;
    for (const name of chosen) {
      // A worker the previous file killed is started again, as `npm start` would.
      if (worker.exitCode !== null || worker.signalCode !== null) worker = spawnApp('worker', env.env);
      const path = await FILES[name].write(env.config.dataDir);
      const probe = startLivenessProbe(`${baseUrl}/health/live`);
      const memory = sampleProcessTreeRss(worker.pid!);
      const started = performance.now();
      const upload = await uploadFile(baseUrl, { path }, FILES[name].fields ?? {}, { apiKey: attacker });
      if (upload.status !== 202) throw new Error(`${name}: upload answered ${upload.status} ${JSON.stringify(upload.body)}`);
      const id: string = upload.body.document_id;
      const bystanderReady = timeToReady(baseUrl, bystander, `${name} bystander`);
      const died = exitOf(worker);
      const outcome = await Promise.race([
        waitForDocument(baseUrl, id, timeoutMs, attacker).then((doc: JsonBody) => ({ doc }), (error: Error) => ({ unfinished: error.message })),
        died.then((exit) => ({ exit })),
      ]);
      const seconds = (performance.now() - started) / 1000;
      const peakRss = memory.stop();
      const bystanderSeconds = await Promise.race([bystanderReady, died.then(() => null)]);
      const liveness = probe.stop();
      const doc: JsonBody | null = 'doc' in outcome ? outcome.doc : null;
      results.push({
        file: name,
        bytes: (await stat(path)).size,
        status: doc?.status ?? ('exit' in outcome ? 'worker died' : 'unfinished'),
        error_code: doc?.error?.code ?? null,
        pages: doc?.page_count ?? null,
        chunks: doc?.chunk_count ?? null,
        seconds: round(seconds, 2),
        worker_peak_rss_mb: round(peakRss / MIB),
        worker_exit: 'exit' in outcome ? outcome.exit : null,
        api_slowest_live_ms: Math.round(liveness.slowestMs),
        bystander_seconds: bystanderSeconds === null ? null : round(bystanderSeconds, 2),
      });
      // Gone before the next file, so a worker that died on it does not take its job up again.
      await requestJson(baseUrl, `/v1/documents/${id}`, { method: 'DELETE', apiKey: attacker });
    }
  } catch (error) {
    console.error(recentOutput(worker));
    throw error;
  } finally {
    await Promise.all([stopProcess(api), stopProcess(worker)]);
    await env.cleanup();
  }
  console.log(JSON.stringify({ settings: settingsFrom(values.set!), files: results }, null, 2));
}

/** Seconds until a one-line file the other tenant uploads now is ready. */
async function timeToReady(baseUrl: string, apiKey: string, title: string): Promise<number> {
  const started = performance.now();
  const upload = await uploadFile(baseUrl, { name: 'minutes.txt', content: `Minutes of ${title}: the budget was approved.\n` }, {}, { apiKey });
  if (upload.status !== 202) throw new Error(`the bystander's upload answered ${upload.status}`);
  const doc = await waitForDocument(baseUrl, upload.body.document_id, timeoutMs, apiKey);
  if (doc.status !== 'ready') throw new Error(`the bystander's file ended ${doc.status}: ${JSON.stringify(doc.error)}`);
  return (performance.now() - started) / 1000;
}

/** Resolves with how the process ended, once it has. */
function exitOf(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(`code ${child.exitCode}, signal ${child.signalCode}`);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(`code ${code}, signal ${signal}`)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
