import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBlobMeter } from './blob-meter';
import { assertSha256, BlobNotFoundError, BlobStore, StagedBlob } from './blob-store';

/**
 * BlobStore on the local disk: DATA_DIR/blobs/ab/cdef… by SHA-256, staged in DATA_DIR/staging. For one machine:
 * a worker elsewhere does not see these files.
 */
export class LocalBlobStore implements BlobStore {
  readonly backend = 'local';
  private readonly blobsDir: string;
  private readonly stagingDir: string;

  constructor(dataDir: string) {
    this.blobsDir = join(dataDir, 'blobs');
    this.stagingDir = join(dataDir, 'staging');
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    // Synchronous on purpose: the pipeline below must attach to `source` before this function first awaits,
    // or a small upload can end (or fail) with nobody listening.
    mkdirSync(this.stagingDir, { recursive: true });
    // The staging name is ours, never the client's file name.
    const stagingPath = join(this.stagingDir, randomUUID());
    const meter = createBlobMeter(maxBytes);
    try {
      await pipeline(source, meter.stream, createWriteStream(stagingPath));
    } catch (error) {
      await rm(stagingPath, { force: true });
      throw error;
    }
    const sha256 = meter.digest();
    const finalPath = this.pathOf(sha256);
    return {
      sha256,
      size: meter.size,
      commit: async () => {
        await mkdir(join(this.blobsDir, sha256.slice(0, 2)), { recursive: true });
        // rename is atomic: readers see the whole blob or none; identical content simply replaces itself.
        await rename(stagingPath, finalPath);
      },
      discard: () => rm(stagingPath, { force: true }),
    };
  }

  read(sha256: string): Readable {
    const out = new PassThrough();
    const file = createReadStream(this.pathOf(sha256));
    file.on('error', (error: NodeJS.ErrnoException) => out.destroy(error.code === 'ENOENT' ? new BlobNotFoundError(sha256) : error));
    return file.pipe(out);
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async exists(sha256: string): Promise<boolean> {
    return access(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Files' modification times are this machine's clock, as is the cut-off. */
  async sweepStaging(unwrittenMs: number): Promise<string[]> {
    const olderThan = Date.now() - unwrittenMs;
    const names = await readdir(this.stagingDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const removed: string[] = [];
    for (const name of names) {
      const path = join(this.stagingDir, name);
      // Gone meanwhile (committed, discarded, or swept by another process starting at the same time): skip it.
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (!info || info.mtimeMs >= olderThan) continue;
      await rm(path, { force: true });
      removed.push(name);
    }
    return removed;
  }

  /** The committed blob's file: on this machine already, so a worker of a single-machine setup reads it in place. */
  pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.blobsDir, sha256.slice(0, 2), sha256);
  }
}
