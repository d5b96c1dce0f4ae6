// boots api+worker in-process? no: worker only in-process, api spawned. Samples main memory.
require('reflect-metadata');
const { createTestEnv } = require('./dist/test/support/test-env.js');
const { spawnApp, stopProcess, waitForHttp } = require('./dist/test/support/processes.js');
const { uploadFile, waitForDocument } = require('./dist/test/support/http.js');
const { writeTextPdf } = require('./dist/test/support/pdf-fixtures.js');
const { freePort } = require('./dist/test/support/ports.js');
const { createWorkerApp } = require('./dist/apps/worker/src/create-worker-app.js');
const fs = require('fs');
(async () => {
  const kind = process.argv[2];
  const env = await createTestEnv({ PORT: String(await freePort()), LOG_LEVEL: 'error', MAX_UPLOAD_BYTES: String(1024 ** 3), PDF_EXTRACT_THREADS: '1' });
  const api = spawnApp('api', env.env);
  await waitForHttp(`http://127.0.0.1:${env.config.port}/health/live`, api);
  const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  console.log('before app', Math.round(process.memoryUsage.rss() / 1e6));
  const app = await createWorkerApp(env.config);
  console.log('app', Math.round(process.memoryUsage.rss() / 1e6), 'hwm', hwm());
  let peak = { rss: 0 };
  const iv = setInterval(() => { const m = process.memoryUsage(); if (m.rss > peak.rss) peak = m; }, 20);
  const pages = Array.from({ length: 350 }, (_, n) => Array.from({ length: 24 }, (_, i) => `${n}.${i} The committee reviewed the quarterly figures and noted a steady rise number ${n * 31 + i}.`).join('\n'));
  const path = env.config.dataDir + '/x.' + kind;
  if (kind === 'pdf') await writeTextPdf(path, pages); else fs.writeFileSync(path, pages.join('\n\n'));
  const up = await uploadFile(`http://127.0.0.1:${env.config.port}`, { path });
  const doc = await waitForDocument(`http://127.0.0.1:${env.config.port}`, up.body.document_id, 600000);
  clearInterval(iv); if (process.argv[3]) { global.gc && global.gc(); console.log('after gc', process.memoryUsage().heapUsed/1e6); require('v8').writeHeapSnapshot('/tmp/scratch/main.heapsnapshot'); }
  console.log(doc.status, doc.chunk_count, 'peak', Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1e6)])), 'hwm', hwm());
  await app.close(); await stopProcess(api); await env.cleanup(); process.exit(0);
})();
