import { statfs } from 'node:fs/promises';
import { dataDirFreeBytes, dataDirSizeBytes } from '@app/observability';

/** The file system a directory lives on: what an unprivileged process may still write, and its size. */
export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

export async function diskSpaceOf(path: string): Promise<DiskSpace> {
  const { bsize, bavail, blocks } = await statfs(path);
  return { freeBytes: bsize * bavail, totalBytes: bsize * blocks };
}

/** Free space below which a disk counts as low: 1 GiB (a few large uploads with the worker's copies of them)… */
const LOW_FREE_BYTES = 1024 ** 3;
/** …or this share of the disk, whichever is more. */
const LOW_FREE_FRACTION = 0.05;

/**
 * Whether DATA_DIR's disk is nearly full: uploads are staged there (and kept there with BLOB_STORE=local), and the
 * worker copies each file there to read it; once it is full both fail (507 `insufficient_storage`).
 */
export function isLowOnSpace(space: DiskSpace): boolean {
  return space.freeBytes < Math.max(LOW_FREE_BYTES, space.totalBytes * LOW_FREE_FRACTION);
}

/** "812.4 MB", "51.2 GB": decimal units, as disk sizes are sold and `df -H` prints them. */
export function formatBytes(bytes: number): string {
  return bytes < 1e9 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e9).toFixed(1)} GB`;
}

/**
 * Sets the DATA_DIR gauges (see dataDirFreeBytes) from `path`'s file system at scrape time. When it cannot be read
 * they say NaN (an unlabelled gauge cannot be left out of a scrape, and a stale figure would look healthy), and the
 * error is rethrown for the caller to report.
 */
export async function refreshDataDirGauges(path: string): Promise<void> {
  try {
    const space = await diskSpaceOf(path);
    dataDirFreeBytes.set(space.freeBytes);
    dataDirSizeBytes.set(space.totalBytes);
  } catch (error) {
    dataDirFreeBytes.set(Number.NaN);
    dataDirSizeBytes.set(Number.NaN);
    throw error;
  }
}
