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
  /**
   * The committed blob's content as a stream, fetched in bounded pieces as it is consumed (never the whole
   * file in memory). Fails with BlobNotFoundError when no blob has that hash.
   */
  read(sha256: string): Readable;
  delete(sha256: string): Promise<void>;
  exists(sha256: string): Promise<boolean>;
  /**
   * Removes staged blobs not written to for `unwrittenMs`: uploads that a crashed process never finished. Blobs
   * written since may be another process's upload in progress and are kept. Ages are read on the clock that wrote
   * the blobs' times where the store has one (PostgreSQL's now() for its rows): an api machine whose clock ran
   * ahead of it swept live uploads. Returns the names removed.
   */
  sweepStaging(unwrittenMs: number): Promise<string[]>;
}

export class BlobTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super('payload_too_large', `The file is larger than the upload limit of ${maxBytes} bytes.`, 413, { max_bytes: maxBytes });
  }
}

/** Seconds a client is asked to wait when the object store could not take its request. */
const STORAGE_RETRY_AFTER_SECONDS = 5;

/**
 * The object store (BLOB_STORE=s3) could not be reached, or answered with a server error (S3's 500, 503
 * SlowDown) after the SDK's own retries: a 503 to retry. Before, such an upload was answered 503
 * `database_unavailable` (a refused connection to any server looked like PostgreSQL's), sending the operator to
 * the wrong server. `cause` is the SDK's error, for the log.
 */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('storage_unavailable', 'The file store is unreachable or failing; retry shortly.', 503, { retry_after_seconds: STORAGE_RETRY_AFTER_SECONDS });
    this.cause = cause;
  }
}

/** The blob a document names is not in the store (deleted, or the store is not the one the api wrote to). */
export class BlobNotFoundError extends AppError {
  constructor(sha256: string) {
    super('blob_not_found', `No stored file has the SHA-256 ${sha256}.`, 404, { sha256 });
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Refuses anything but a lower-case SHA-256 hex digest: hashes become file names and object keys. */
export function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
}
