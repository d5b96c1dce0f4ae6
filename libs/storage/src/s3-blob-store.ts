import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Settings } from '@app/config';
import { createBlobMeter } from './blob-meter';
import { assertSha256, BlobNotFoundError, BlobStore, StagedBlob, StorageUnavailableError } from './blob-store';

const STAGING_PREFIX = 'staging/';
const BLOBS_PREFIX = 'blobs/';

/**
 * Multipart upload: S3's smallest part, two in flight. lib-storage buffers at most queueSize × partSize (plus
 * the part being filled), so an upload holds about 15 MiB however large the file.
 */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_QUEUE_SIZE = 2;

/** Bytes per ranged GET when reading: a broken connection costs one range, and each range is streamed, not buffered. */
const READ_RANGE_BYTES = 8 * 1024 * 1024;

/**
 * BlobStore in an S3-compatible object store (AWS S3, MinIO, SeaweedFS, ...): `blobs/<sha256>` per file. An
 * upload streams to `staging/<uuid>` (multipart beyond one part) while it is hashed, because the key it
 * belongs under is known only at the end; commit copies it to its hash key and deletes the staged object
 * (server-side: no byte passes through us again; one CopyObject takes up to 5 GiB, to which the config
 * limits MAX_UPLOAD_BYTES with this store). Reads are ranged GETs, streamed.
 */
export class S3BlobStore implements BlobStore {
  readonly backend = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(settings: S3Settings) {
    this.bucket = settings.bucket;
    this.client = new S3Client({
      endpoint: settings.endpoint ?? undefined,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.accessKeyId && settings.secretAccessKey ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } : undefined,
      // Checksums only where S3 requires them: self-hosted stores (and s3rver, which the tests use) do not all
      // understand the newer flexible-checksum headers and trailers the SDK otherwise sends on every upload.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A request the store leaves silent this long fails (StorageUnavailableError once the SDK's retries are spent).
      requestHandler: { connectionTimeout: settings.idleTimeoutMs, socketTimeout: settings.idleTimeoutMs },
    });
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    const key = STAGING_PREFIX + randomUUID();
    const meter = createBlobMeter(maxBytes);
    const body = new PassThrough();
    // Attached before the first await, so a small upload cannot end (or fail) with nobody listening.
    const piping = pipeline(source, meter.stream, body);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body },
      partSize: UPLOAD_PART_BYTES,
      queueSize: UPLOAD_QUEUE_SIZE,
      // An upload that fails aborts its multipart upload, so no orphaned parts are left (and billed).
      leavePartsOnError: false,
    });
    const [piped, uploaded] = await Promise.allSettled([
      piping.catch(async (error: unknown) => {
        // The body was destroyed with the error; abort too, in case the uploader is waiting on S3.
        await upload.abort();
        throw error;
      }),
      upload.done(),
    ]);
    if (piped.status === 'rejected' || uploaded.status === 'rejected') {
      // The source's own failure (too large, cut off) goes first, and S3's is then the consequence of the abort;
      // but when S3 failed first, the uploader stopped reading and the pipeline ended only by being aborted.
      const sourceFailed = piped.status === 'rejected' && !(uploaded.status === 'rejected' && isAbort(piped.reason));
      const failure = sourceFailed ? piped.reason : asStorageError((uploaded as PromiseRejectedResult).reason);
      // A single-part upload may have completed just before the other side failed. With the store failing, the
      // delete may fail too; the staged object is then the staging sweep's to remove, and `failure` is the error.
      await this.deleteKey(key).catch(() => undefined);
      throw failure;
    }
    const sha256 = meter.digest();
    return {
      sha256,
      size: meter.size,
      commit: () => this.publish(key, sha256),
      discard: () => this.deleteKey(key),
    };
  }

  read(sha256: string): Readable {
    assertSha256(sha256);
    return Readable.from(this.ranges(sha256), { objectMode: false });
  }

  async delete(sha256: string): Promise<void> {
    assertSha256(sha256);
    await this.deleteKey(BLOBS_PREFIX + sha256);
  }

  async exists(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    return (await this.size(BLOBS_PREFIX + sha256)) !== null;
  }

  /**
   * Staged objects last written `unwrittenMs` ago or more, by this machine's clock against the store's LastModified
   * (S3 has no clock to ask). Multipart uploads a crash left unfinished are not objects: a bucket lifecycle rule
   * aborts those (README).
   */
  async sweepStaging(unwrittenMs: number): Promise<string[]> {
    const olderThan = Date.now() - unwrittenMs;
    const removed: string[] = [];
    let token: string | undefined;
    do {
      const page = await storageCall(() => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: STAGING_PREFIX, ContinuationToken: token })));
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified || object.LastModified.getTime() >= olderThan) continue;
        await this.deleteKey(object.Key);
        removed.push(object.Key.slice(STAGING_PREFIX.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }

  /** Identical content already stored: the staged copy is simply dropped. */
  private async publish(stagedKey: string, sha256: string): Promise<void> {
    const key = BLOBS_PREFIX + sha256;
    if ((await this.size(key)) === null) {
      await storageCall(() => this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: `${this.bucket}/${stagedKey}` })));
    }
    await this.deleteKey(stagedKey);
  }

  private async deleteKey(key: string): Promise<void> {
    // Idempotent in S3: deleting a missing key succeeds.
    await storageCall(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  /** The object's size, or null when there is no such object. */
  private async size(key: string): Promise<number | null> {
    try {
      const head = await storageCall(() => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return null;
      throw error;
    }
  }

  /** The blob's bytes, one ranged GET after another, each streamed through as it arrives. */
  private async *ranges(sha256: string): AsyncGenerator<Buffer> {
    const key = BLOBS_PREFIX + sha256;
    const size = await this.size(key);
    if (size === null) throw new BlobNotFoundError(sha256);
    for (let start = 0; start < size; start += READ_RANGE_BYTES) {
      const end = Math.min(start + READ_RANGE_BYTES, size) - 1;
      const { Body } = await storageCall(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` })));
      let received = 0;
      for await (const chunk of Body as Readable) {
        received += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (received !== end - start + 1) throw new Error(`blob ${sha256}: range ${start}-${end} returned ${received} bytes`);
    }
  }
}

function isAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ABORT_ERR' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** Runs one call to the store, its failure as asStorageError gives it. */
async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asStorageError(error);
  }
}

/**
 * The SDK's error as the api and worker should see it: a store that cannot be reached (no HTTP status) or that
 * fails (5xx) is StorageUnavailableError; an answer about the request (404 for a missing object, 403 for keys
 * that may not) stays as it is.
 */
function asStorageError(error: unknown): unknown {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500 ? new StorageUnavailableError(error) : error;
}
