import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { BlobTooLargeError } from './blob-store';

/** A pass-through stage of an upload's pipeline that hashes and counts the bytes, and fails past `maxBytes`. */
export interface BlobMeter {
  readonly stream: Transform;
  /** Bytes seen so far. */
  readonly size: number;
  /** The SHA-256 of everything seen (hex); call once, after the stream has ended. */
  digest(): string;
}

export function createBlobMeter(maxBytes: number): BlobMeter {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      // Refused at the first byte past the limit: the rest of the upload is never read or stored.
      if (size > maxBytes) return callback(new BlobTooLargeError(maxBytes));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return {
    stream,
    get size() {
      return size;
    },
    digest: () => hash.digest('hex'),
  };
}
