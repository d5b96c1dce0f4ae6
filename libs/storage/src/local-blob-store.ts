import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStore, BlobTooLargeError, StagedBlob } from './blob-store';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** BlobStore on the local disk: DATA_DIR/blobs/ab/cdef… by SHA-256, staged in DATA_DIR/staging. */
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
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxBytes) return callback(new BlobTooLargeError(maxBytes));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(stagingPath));
    } catch (error) {
      await rm(stagingPath, { force: true });
      throw error;
    }
    const sha256 = hash.digest('hex');
    const finalPath = this.pathFor(sha256);
    return {
      sha256,
      size,
      commit: async () => {
        await mkdir(join(this.blobsDir, sha256.slice(0, 2)), { recursive: true });
        // rename is atomic: readers see the whole blob or none; identical content simply replaces itself.
        await rename(stagingPath, finalPath);
      },
      discard: () => rm(stagingPath, { force: true }),
    };
  }

  async localPath(sha256: string): Promise<string> {
    return this.pathFor(sha256);
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathFor(sha256), { force: true });
  }

  async exists(sha256: string): Promise<boolean> {
    return access(this.pathFor(sha256)).then(
      () => true,
      () => false,
    );
  }

  async sweepStaging(olderThan: Date): Promise<string[]> {
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
      if (!info || info.mtime >= olderThan) continue;
      await rm(path, { force: true });
      removed.push(name);
    }
    return removed;
  }

  private pathFor(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
    return join(this.blobsDir, sha256.slice(0, 2), sha256);
  }
}
