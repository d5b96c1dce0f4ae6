import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { ChunkRow, distinctPageTexts, expectedPdfChunks, storedChunks } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { recentOutput, spawnApp, stopProcess } from '../support/processes';
import { startTestS3, TestS3 } from '../support/s3-server';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';
import { until } from '../support/until';

const DOCUMENTS = 30;
const PAGES = 16;

/**
 * A "machine" for a worker: its own working directory, DATA_DIR and temporary directory, nothing shared with
 * the api or the other worker but the database, Redis (and the S3 store when that holds the blobs).
 */
interface Machine {
  readonly root: string;
  readonly dataDir: string;
  start(): ChildProcess;
}

async function checkoutFiles(machine: Machine): Promise<string[]> {
  return readdir(join(machine.dataDir, 'checkouts')).catch(() => []);
}

/** Runs the scenario of issue #17: two workers on separate machines, one SIGKILLed mid-document. */
function workersOnSeveralMachines(backend: 'postgres' | 's3'): void {
  describe(`two workers on separate machines, blobs in ${backend}`, () => {
    let s3: TestS3 | null = null;
    let env: TestEnv;
    let system: RunningSystem;
    let owner: Pool;
    let scratch: string;
    const machines: Machine[] = [];
    const workers: ChildProcess[] = [];

    before(async () => {
      s3 = backend === 's3' ? await startTestS3() : null;
      // One client polls thirty documents: not a test of the rate limit.
      env = await createTestEnv({ ...(s3?.env ?? { BLOB_STORE: 'postgres' }), RATE_LIMIT_PER_MINUTE: '100000' });
      system = await startSystem(env.config, { worker: false });
      owner = createPool(env.config.databaseUrl, { max: 2, owner: true });
      scratch = await mkdtemp(join(tmpdir(), 'groundwork-machines-'));
      for (const name of ['machine-a', 'machine-b']) {
        const root = join(scratch, name);
        const dataDir = join(root, 'data');
        const tmp = join(root, 'tmp');
        await mkdir(dataDir, { recursive: true });
        await mkdir(tmp, { recursive: true });
        machines.push({
          root,
          dataDir,
          start: () => {
            const worker = spawnApp('worker', { ...env.env, DATA_DIR: dataDir, TMPDIR: tmp }, [], root);
            workers.push(worker);
            return worker;
          },
        });
      }
    });
    after(async () => {
      await Promise.all(workers.map((worker) => stopProcess(worker)));
      await owner?.end();
      await system?.close();
      await env?.cleanup();
      await s3?.close();
      await rm(scratch, { recursive: true, force: true });
    });

    test('thirty documents end ready with a clean run\'s chunks after a SIGKILL, and deleting them leaves no blob', async () => {
      const [a, b] = machines;
      const files = await mkdtemp(join(tmpdir(), 'groundwork-uploads-'));
      try {
        const paths = await Promise.all(Array.from({ length: DOCUMENTS }, (_, i) => writeTextPdf(join(files, `doc-${i}.pdf`), distinctPageTexts(PAGES, ` ${backend}-${i}`))));
        const ids: string[] = [];
        for (const path of paths) {
          const upload = await uploadFile(system.baseUrl, { path });
          assert.equal(upload.status, 202, JSON.stringify(upload.body));
          ids.push(upload.body.document_id);
        }

        const first = a.start();
        b.start();
        // Machine A is mid-document while its copy of the file exists (taken before extraction, removed after).
        await until(async () => (await checkoutFiles(a)).length > 0, 60_000, () => `machine A never started a document:\n${recentOutput(first)}`);
        first.kill('SIGKILL');
        await new Promise((resolve) => first.once('exit', resolve));
        assert.ok((await checkoutFiles(a)).length > 0, 'the kill left A\'s copy behind');
        // A worker started again on machine A sweeps what the killed one left, and helps finish.
        const restarted = a.start();

        const clean = await Promise.all(paths.map((path) => expectedPdfChunks(path, env.config.chunking.chunkTokens, env.config.chunking.overlapTokens)));
        for (const [i, id] of ids.entries()) {
          const doc = await waitForDocument(system.baseUrl, id, 180_000);
          assert.equal(doc.status, 'ready', `${paths[i]}: ${JSON.stringify(doc.error)}\n${recentOutput(restarted)}`);
          assert.equal(doc.page_count, PAGES);
          const stored: ChunkRow[] = await storedChunks(owner, id);
          assert.deepEqual(stored, clean[i], `document ${i} has the chunks of a clean run`);
        }
        assert.deepEqual(await checkoutFiles(a), [], 'no temporary copy is left on machine A');
        assert.deepEqual(await checkoutFiles(b), [], 'no temporary copy is left on machine B');
        assert.deepEqual(await readdir(env.config.dataDir), [], 'the api kept nothing on its own disk');

        for (const id of ids) assert.equal((await requestJson(system.baseUrl, `/v1/documents/${id}`, { method: 'DELETE' })).status, 204);
        let left: string[] = [];
        await until(async () => (left = await storedBlobs()).length === 0, 30_000, () => `blobs left after every document was deleted: ${left.join(', ')}`);
      } finally {
        await rm(files, { recursive: true, force: true });
      }
    });

    /** What the store holds, committed or staged. */
    async function storedBlobs(): Promise<string[]> {
      if (s3) return s3.objectKeys();
      const { rows } = await owner.query<{ name: string }>(`SELECT coalesce(sha256, 'staged ' || id) AS name FROM blob_contents`);
      return rows.map((row) => row.name);
    }
  });
}

workersOnSeveralMachines('postgres');
workersOnSeveralMachines('s3');
