import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BLOB_STORE, BlobStore, StagedBlob } from '@app/storage';
import { stagingFiles } from '../support/staging';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

describe('the staging sweep runs on a timer, not only when a process starts', () => {
  const suite = useSystem({ BLOB_STORE: 'local', STAGING_SWEEP_INTERVAL_SECONDS: '1', UPLOAD_IDLE_TIMEOUT_MS: '1000' }, { worker: false });

  /** Stages `content` in the running api's store, as an upload does, and names its staging file. */
  async function stage(content: string): Promise<{ blob: StagedBlob; name: string }> {
    const before = new Set(stagingFiles(suite.env.config.dataDir));
    const blob = await suite.system.api.get<BlobStore>(BLOB_STORE).stage(Readable.from([Buffer.from(content)]), 1024);
    const added = stagingFiles(suite.env.config.dataDir).filter((name) => !before.has(name));
    assert.equal(added.length, 1);
    return { blob, name: added[0] };
  }

  test('a staged file left behind while the api runs is removed by a later pass; one written since the cut-off is kept', async () => {
    // An upload whose process failed to remove its staging file: last written two minutes ago, past the cut-off
    // (the idle timeout, 1 s here, plus a minute's margin).
    const left = await stage('left by an upload that could not clean up');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(join(suite.env.config.dataDir, 'staging', left.name), twoMinutesAgo, twoMinutesAgo);
    // A live upload, staged and waiting for its row.
    const live = await stage('an upload in progress');

    await until(() => !stagingFiles(suite.env.config.dataDir).includes(left.name), 5_000, 'the leftover was not swept without a restart');
    // A few more passes: the live one stays.
    await sleep(2_500);
    assert.deepEqual(stagingFiles(suite.env.config.dataDir), [live.name]);
    await live.blob.discard();
  });
});
