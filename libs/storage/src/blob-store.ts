import { Readable } from 'node:stream';
import { AppError } from '@app/errors';

export const BLOB_STORE = Symbol('BLOB_STORE');

export type BlobBackend = 'local' | 'postgres' | 's3';

/** A blob written to staging: hashed and counted, but not visible under its hash until committed. */
export interface StagedBlob {
  readonly sha256: string;
  readonly size: number;
  /** Publishes the blob under its hash (a no-op when identical content is already stored). */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** Content-addressed storage for uploaded files. */
export interface BlobStore {
  /** Which backend holds the blobs (recorded with each blob in the `blobs` table). */
  readonly backend: BlobBackend;
  /** Streams `source` to staging while hashing it; never holds the whole content in memory. */
  stage(source: Readable, maxBytes: number): Promise<StagedBlob>;
  /** A local file path to read the blob from (what pdfjs and the text readers open). */
  localPath(sha256: string): Promise<string>;
  delete(sha256: string): Promise<void>;
  exists(sha256: string): Promise<boolean>;
  /**
   * Removes staging files last written before `olderThan`: uploads that a crashed process never finished.
   * Files written since may be another process's upload in progress and are kept. Returns the names removed.
   */
  sweepStaging(olderThan: Date): Promise<string[]>;
}

export class BlobTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super('payload_too_large', `The file is larger than the upload limit of ${maxBytes} bytes.`, 413, { max_bytes: maxBytes });
  }
}
