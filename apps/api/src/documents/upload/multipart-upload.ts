import { Request } from 'express';
import busboy from 'busboy';
import { AppError, ValidationError } from '@app/errors';
import type { MediaType } from '@app/database';
import { BlobStore, BlobTooLargeError, StagedBlob } from '@app/storage';
import { ContentSniffer } from './content-sniffer';

export interface ReceivedUpload {
  fields: Record<string, string>;
  file: { blob: StagedBlob; filename: string | null; mediaType: MediaType };
}

export const UPLOAD_FIELDS = ['collection', 'title', 'metadata', 'chunk_tokens', 'chunk_overlap', 'tenant'] as const;
const MAX_FIELD_BYTES = 64 * 1024;

/** The client sent no byte of its upload for the idle timeout (UPLOAD_IDLE_TIMEOUT_MS). */
export class UploadTimeoutError extends AppError {
  constructor(idleTimeoutMs: number) {
    super('upload_timeout', `The upload sent nothing for ${idleTimeoutMs} ms; send the file again.`, 408, { idle_timeout_ms: idleTimeoutMs });
  }
}

/** The client closed the connection before its upload was complete (nobody reads the answer; it is logged). */
export class UploadAbortedError extends AppError {
  constructor() {
    super('upload_aborted', 'The client closed the connection before the upload was complete.', 400);
  }
}

/**
 * Reads a multipart/form-data upload: the `file` part is streamed through content sniffing into the blob
 * store's staging area (never buffered whole); the small text fields are collected. On any error the staged
 * blob is discarded, so a rejected upload leaves nothing behind — including one whose client disconnects, or
 * sends nothing for `idleTimeoutMs` (busboy alone would wait for the rest of such a body forever, holding the
 * staging file and its descriptor open).
 */
export async function receiveUpload(req: Request, store: BlobStore, maxBytes: number, idleTimeoutMs: number): Promise<ReceivedUpload> {
  if (!req.headers['content-type']?.toLowerCase().startsWith('multipart/form-data')) {
    throw new AppError('unsupported_media_type', 'Send the document as multipart/form-data with a "file" part.', 415);
  }
  const declared = Number(req.headers['content-length']);
  // Multipart framing adds a little; refusing clearly oversized bodies up front spares reading them.
  if (Number.isFinite(declared) && declared > maxBytes + MAX_FIELD_BYTES * UPLOAD_FIELDS.length + 16_384) {
    throw new BlobTooLargeError(maxBytes);
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: UPLOAD_FIELDS.length, fieldSize: MAX_FIELD_BYTES, parts: 20 } });
    } catch (error) {
      reject(new ValidationError(`Malformed multipart request: ${(error as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let staging: Promise<ReceivedUpload['file']> | null = null;
    let sniffer: ContentSniffer | null = null;
    let failure: Error | null = null;

    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(onIdle, idleTimeoutMs);
    };
    const onIdle = () => {
      // Paused by our own back-pressure (a slow disk) is not the client stalling: wait for the next byte again.
      if (req.readableFlowing === false) armIdleTimer();
      else fail(new UploadTimeoutError(idleTimeoutMs));
    };
    const onClose = () => {
      if (!req.complete) fail(new UploadAbortedError());
    };
    const stopWatching = () => {
      clearTimeout(idleTimer);
      req.off('data', armIdleTimer);
      req.off('end', stopWatching);
      req.off('close', onClose);
    };
    req.on('data', armIdleTimer);
    req.once('end', stopWatching);
    req.once('close', onClose);
    armIdleTimer();

    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      stopWatching();
      // A stalled client may never send the rest of its body: answer, then close the connection rather than
      // keep it open for a body that does not come.
      if (error instanceof UploadTimeoutError && req.res && !req.res.headersSent) req.res.setHeader('Connection', 'close');
      // Stop parsing but keep draining the request so the client receives our error response.
      req.unpipe(parser);
      req.resume();
      // Ends a file still streaming; staging then removes its partial file itself.
      sniffer?.destroy(error);
      const cleaned = staging ? staging.then((file) => file.blob.discard(), () => undefined) : Promise.resolve();
      cleaned.finally(() => reject(error));
    };

    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || staging) {
        stream.resume();
        fail(new ValidationError(name === 'file' ? 'Send exactly one "file" part.' : `Unexpected file field "${name}"; the file goes in "file".`));
        return;
      }
      const filename = info.filename ? info.filename.slice(0, 255) : null;
      const fileSniffer = new ContentSniffer(filename, info.mimeType);
      sniffer = fileSniffer;
      stream.pipe(fileSniffer);
      stream.on('error', (error) => fileSniffer.destroy(error));
      staging = store.stage(fileSniffer, maxBytes).then((blob) => ({ blob, filename, mediaType: fileSniffer.mediaType }));
      staging.catch(fail);
    });
    parser.on('field', (name, value, info) => {
      if (!(UPLOAD_FIELDS as readonly string[]).includes(name)) {
        fail(new ValidationError(`Unknown field "${name}". Allowed: file, ${UPLOAD_FIELDS.join(', ')}.`));
      } else if (info.valueTruncated) {
        fail(new ValidationError(`Field "${name}" is longer than ${MAX_FIELD_BYTES} bytes.`));
      } else {
        fields[name] = value;
      }
    });
    parser.on('fieldsLimit', () => fail(new ValidationError('Too many fields.')));
    parser.on('filesLimit', () => fail(new ValidationError('Send exactly one "file" part.')));
    parser.on('partsLimit', () => fail(new ValidationError('Too many parts.')));
    parser.on('error', (error: Error) => fail(new ValidationError(`Malformed multipart request: ${error.message}`)));
    parser.on('close', () => {
      // The whole body is parsed: from here on only our own disk write can take time.
      stopWatching();
      if (failure) return;
      if (!staging) {
        fail(new ValidationError('The "file" part is missing.'));
        return;
      }
      staging.then(
        (file) => {
          if (failure) return;
          if (file.blob.size === 0) {
            file.blob.discard().finally(() => reject(new AppError('empty_file', 'The uploaded file is empty.', 400)));
            return;
          }
          resolve({ fields, file });
        },
        () => undefined, // reported through fail()
      );
    });
    req.pipe(parser);
  });
}
