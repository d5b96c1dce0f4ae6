require('reflect-metadata');
const { spawn } = require('child_process');
const { createTestEnv } = require('./dist/test/support/test-env.js');
const { spawnApp, stopProcess, waitForHttp } = require('./dist/test/support/processes.js');
const { uploadFile, waitForDocument } = require('./dist/test/support/http.js');
const { freePort } = require('./dist/test/support/ports.js');
const { createWorkerApp } = require('./dist/apps/worker/src/create-worker-app.js');
const fs = require('fs');
(async () => {
  const srv = spawn(process.execPath, ['dist/bench/embedding-server.js'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((r) => srv.stdout.once('data', (d) => r(d.toString().trim())));
  const env = await createTestEnv({ PORT: String(await freePort()), LOG_LEVEL: 'error', MAX_UPLOAD_BYTES: String(1024 ** 3), PDF_EXTRACT_THREADS: '1',
    EMBEDDING_PROVIDER: 'openai', OPENAI_API_KEY: 'x', OPENAI_BASE_URL: url, EMBEDDING_DIMENSION: '1536', LLM_PROVIDER: 'extractive', ...JSON.parse(process.argv[3] || '{}') });
  const api = spawnApp('api', env.env);
  await waitForHttp(`http://127.0.0.1:${env.config.port}/health/live`, api);
  const app = await createWorkerApp(env.config);
  const fmt = (m) => Object.entries(m).map(([k, v]) => k.slice(0, 5) + '=' + Math.round(v / 1e6)).join(' ');
  const iv = setInterval(() => console.log(fmt(process.memoryUsage())), 3000); 
  const up = await uploadFile(`http://127.0.0.1:${env.config.port}`, { path: process.argv[2] });
  const doc = await waitForDocument(`http://127.0.0.1:${env.config.port}`, up.body.document_id, 600000);
  clearInterval(iv);
  console.log(doc.status, doc.chunk_count, fmt(process.memoryUsage()), 'hwm', /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1] / 1024);
  await app.close(); await stopProcess(api); srv.kill(); await env.cleanup(); process.exit(0);
})();
