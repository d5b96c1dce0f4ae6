import { IncomingMessage } from 'node:http';
import { Request } from 'express';
import busboy from 'busboy';
import { AppError, ValidationError } from '@app/errors';
import type { MediaType } from '@app/database';
import { BlobStore, BlobTooLargeError, StagedBlob } from '@app/storage';
import { nulCharacterAt, nulCharacterError } from '../../security/nul-characters';
import { ContentSniffer } from './content-sniffer';

/** A `file` part streamed to the store's staging area, its type decided from its bytes. */
export interface StagedFile {
  blob: StagedBlob;
  filename: string | null;
  mediaType: MediaType;
}

/** One `file` part of the request, by its position among them: what `accept` made of it, or why it alone was refused. */
export type ReceivedFile<T> = { index: number; filename: string | null } & ({ ok: true; accepted: T } | { ok: false; error: AppError });

export interface ReceivedUpload<T> {
  fields: Record<string, string>;
  /** In the order the parts came, at least one. */
  files: ReceivedFile<T>[];
}

export interface UploadLimits {
  /** Bytes per file (MAX_UPLOAD_BYTES). */
  maxBytes: number;
  /** `file` parts per request (MAX_FILES_PER_UPLOAD; 1 for a replacement). */
  maxFiles: number;
  idleTimeoutMs: number;
  /** The text fields the request may carry. */
  fields: readonly string[];
}

/**
 * What becomes of each file once staged: `accept` takes it out of staging (the upload publishes it under a
 * blob claim) while the rest of the body still arrives; `release` undoes that when the request as a whole fails.
 */
export interface StagedFileHandler<T> {
  accept(file: StagedFile): Promise<T>;
  release(accepted: T): Promise<void>;
}

export const UPLOAD_FIELDS = ['collection', 'title', 'metadata', 'chunk_tokens', 'chunk_overlap', 'tenant'] as const;
const MAX_FIELD_BYTES = 64 * 1024;
/** Multipart framing of one part (boundary, headers): generous, for the declared-length check only. */
const PART_FRAMING_BYTES = 1024;

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

/** 413 `too_many_files`: more `file` parts than one request may carry. */
export class TooManyFilesError extends AppError {
  constructor(maxFiles: number) {
    super('too_many_files', `Send at most ${maxFiles} files in one request (MAX_FILES_PER_UPLOAD); split the rest into further requests.`, 413, {
      max_files: maxFiles,
    });
  }
}

export class EmptyFileError extends AppError {
  constructor() {
    super('empty_file', 'The uploaded file is empty.', 400);
  }
}

/** Whether the request's body is multipart/form-data: an upload, which judges its client's silence itself. */
export function isMultipart(req: IncomingMessage): boolean {
  return req.headers['content-type']?.toLowerCase().startsWith('multipart/form-data') ?? false;
}

/**
 * Reads a multipart/form-data upload of one or more `file` parts (up to `limits.maxFiles`) and small text
 * fields. Each file is streamed through content sniffing into the blob store's staging area as its part
 * arrives (never buffered whole), then handed to `handler.accept` while the next part streams in. A file the
 * store or the sniffer refuses (too large, not a PDF or text) or that is empty is that file's error: the rest
 * of its part is read and dropped, and the other files go on. Anything that spoils the request as a whole —
 * malformed multipart, an unknown field, too many files, a client that disconnects or stalls for
 * `idleTimeoutMs` (busboy alone would wait for such a body forever) — fails it, and then every file is undone:
 * staged ones discarded, accepted ones released, so a refused request leaves nothing behind.
 */
export async function receiveUpload<T>(req: Request, store: BlobStore, limits: UploadLimits, handler: StagedFileHandler<T>): Promise<ReceivedUpload<T>> {
  if (!isMultipart(req)) {
    throw new AppError('unsupported_media_type', 'Send the document as multipart/form-data with a "file" part.', 415);
  }
  const declared = Number(req.headers['content-length']);
  // Refusing clearly oversized bodies up front spares reading them: past every file at its limit plus fields.
  if (Number.isFinite(declared) && declared > limits.maxFiles * (limits.maxBytes + PART_FRAMING_BYTES) + MAX_FIELD_BYTES * limits.fields.length + 16_384) {
    throw new BlobTooLargeError(limits.maxBytes);
  }

  return new Promise<ReceivedUpload<T>>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // One part more than the files and fields allowed, so the file past the limit is reported as such.
        limits: { files: limits.maxFiles, fields: limits.fields.length, fieldSize: MAX_FIELD_BYTES, parts: limits.maxFiles + limits.fields.length + 1 },
      });
    } catch (error) {
      reject(new ValidationError(`Malformed multipart request: ${(error as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    const files: Promise<ReceivedFile<T>>[] = [];
    /** Sniffers of files still streaming: a failed request ends them, and staging removes their partial files. */
    const streaming = new Set<ContentSniffer>();
    let failure: Error | null = null;

    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(onIdle, limits.idleTimeoutMs);
    };
    const onIdle = () => {
      // Paused by our own back-pressure (a slow disk) is not the client stalling: wait for the next byte again.
      if (req.readableFlowing === false) armIdleTimer();
      else fail(new UploadTimeoutError(limits.idleTimeoutMs));
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
      for (const sniffer of streaming) sniffer.destroy(error);
      // Every file settles (see receiveFile: one staged after this point is discarded there); then the accepted ones are released.
      void undo(files).finally(() => reject(error));
    };

    const undo = async (received: Promise<ReceivedFile<T>>[]) => {
      for (const outcome of await Promise.allSettled(received)) {
        if (outcome.status !== 'fulfilled' || !outcome.value.ok) continue;
        // A release that fails leaves the blob's claim to expire; the collector then takes the file (BlobsRepository).
        await handler.release(outcome.value.accepted).catch(() => undefined);
      }
    };

    /** Stages one file part, then accepts it, unless the request failed meanwhile; a refusal of this file alone is its result. */
    const receiveFile = async (index: number, filename: string | null, sniffer: ContentSniffer, staging: Promise<StagedBlob>): Promise<ReceivedFile<T>> => {
      let blob: StagedBlob;
      try {
        blob = await staging;
      } catch (error) {
        if (failure || !isFileRefusal(error)) throw error;
        return { index, filename, ok: false, error };
      } finally {
        streaming.delete(sniffer);
      }
      const refusal = failure ?? (blob.size === 0 ? new EmptyFileError() : null);
      if (refusal) {
        await blob.discard();
        if (failure) throw failure;
        return { index, filename, ok: false, error: refusal as AppError };
      }
      try {
        return { index, filename, ok: true, accepted: await handler.accept({ blob, filename, mediaType: sniffer.mediaType }) };
      } catch (error) {
        await blob.discard();
        if (error instanceof AppError && !failure) return { index, filename, ok: false, error };
        throw error;
      }
    };

    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        fail(new ValidationError(`Unexpected file field "${name}"; files go in "file".`));
        return;
      }
      const filename = info.filename ? info.filename.slice(0, 255) : null;
      if (filename !== null && nulCharacterAt(filename) !== null) {
        // The name would be stored with the document: this file is refused, the request's others are not.
        stream.resume();
        files.push(Promise.resolve({ index: files.length, filename, ok: false, error: nulCharacterError('filename') }));
        return;
      }
      const sniffer = new ContentSniffer(filename, info.mimeType);
      streaming.add(sniffer);
      stream.pipe(sniffer);
      stream.on('error', (error) => sniffer.destroy(error));
      // A refused file stops being read by staging: the rest of its part is drained, so the parser reaches the next one.
      sniffer.once('error', () => {
        stream.unpipe(sniffer);
        stream.resume();
      });
      const received = receiveFile(files.length, filename, sniffer, store.stage(sniffer, limits.maxBytes));
      received.catch(fail);
      files.push(received);
    });
    parser.on('field', (name, value, info) => {
      // A part without a file name is a field to the parser, whatever its name.
      if (name === 'file') {
        fail(new ValidationError('The "file" part has no file name (filename="…" in its Content-Disposition).'));
      } else if (!limits.fields.includes(name)) {
        fail(new ValidationError(`Unknown field "${name}". Allowed: file, ${limits.fields.join(', ')}.`));
      } else if (info.valueTruncated) {
        fail(new ValidationError(`Field "${name}" is longer than ${MAX_FIELD_BYTES} bytes.`));
      } else if (nulCharacterAt(value) !== null) {
        fail(nulCharacterError(name));
      } else if (Object.hasOwn(fields, name)) {
        // Which one would count is anyone's guess: the last, so far, silently.
        fail(new ValidationError(`Field "${name}" is given more than once.`));
      } else {
        fields[name] = value;
      }
    });
    parser.on('fieldsLimit', () => fail(new ValidationError('Too many fields.')));
    parser.on('filesLimit', () => fail(new TooManyFilesError(limits.maxFiles)));
    parser.on('partsLimit', () => fail(new ValidationError('Too many parts.')));
    parser.on('error', (error: Error) => fail(new ValidationError(`Malformed multipart request: ${error.message}`)));
    parser.on('close', () => {
      // The whole body is parsed: from here on only our own writes can take time.
      stopWatching();
      if (failure) return;
      if (files.length === 0) {
        fail(new ValidationError('The "file" part is missing.'));
        return;
      }
      Promise.all(files).then(
        (received) => {
          if (!failure) resolve({ fields, files: received });
        },
        () => undefined, // reported through fail()
      );
    });
    req.pipe(parser);
  });
}

/** Refusals of one file for what it is (too large, not a supported type), as opposed to failures of the request or the server. */
function isFileRefusal(error: unknown): error is AppError {
  return error instanceof AppError && error.status < 500;
}
