import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER } from '@app/observability';
import { Logger } from 'pino';
import { BLOB_STORE, BlobStore } from './blob-store';
import { LocalBlobStore } from './local-blob-store';

/** A blob as a file on this machine, for the extraction processes to open; `release` when done with it. */
export interface BlobCheckout {
  readonly path: string;
  release(): Promise<void>;
}

/** Beyond the ingestion timeout, the age past which a copy is a leftover whatever its name says. */
const LEFTOVER_MARGIN_MS = 60_000;

/**
 * Temporary local copies of blobs for the worker: pdfjs and the text readers read a file (a PDF by byte
 * ranges, see libs/pdf), and the store may be PostgreSQL or S3 on another machine. The copy streams from the
 * store to DATA_DIR/checkouts in bounded pieces and is removed when the attempt ends. With the local store the
 * blob's own file is used: it is on this machine already.
 *
 * A copy's name starts with its process id. At start the copies left by a killed worker are removed: those
 * whose process is gone (or is this process, which holds none yet: a restarted container's worker gets its
 * old pid back) and, should a process of another pid namespace share the directory and hold that pid, those
 * older than any attempt may run (INGESTION_TIMEOUT_SECONDS).
 */
@Injectable()
export class BlobCheckouts implements OnApplicationBootstrap {
  private readonly dir: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.dir = join(config.dataDir, 'checkouts');
  }

  async checkout(sha256: string, signal: AbortSignal): Promise<BlobCheckout> {
    if (this.store instanceof LocalBlobStore) return { path: this.store.pathOf(sha256), release: async () => undefined };
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${process.pid}-${randomUUID()}`);
    const release = () => rm(path, { force: true });
    try {
      await pipeline(this.store.read(sha256), createWriteStream(path, { flags: 'wx' }), { signal });
    } catch (error) {
      await release();
      throw error;
    }
    return { path, release };
  }

  async onApplicationBootstrap(): Promise<void> {
    const removed = await this.sweep();
    if (removed.length) this.logger.warn({ files: removed.length }, 'removed temporary blob copies left by a stopped worker');
  }

  /** Removes the copies no live attempt can be using (see the class comment); returns their names. */
  async sweep(): Promise<string[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const oldest = Date.now() - this.config.ingestion.timeoutSeconds * 1000 - LEFTOVER_MARGIN_MS;
    const removed: string[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null; // released meanwhile
        throw error;
      });
      if (!info || (isLiveOtherProcess(Number.parseInt(name, 10)) && info.mtimeMs >= oldest)) continue;
      await rm(path, { force: true });
      removed.push(name);
    }
    return removed;
  }
}

function isLiveOtherProcess(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
