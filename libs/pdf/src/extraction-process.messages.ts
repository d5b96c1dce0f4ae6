import { AppError, PermanentIngestionError } from '@app/errors';
import type { DocumentFormat } from './pdf-errors';

/** The document an extraction process serves, sent as its first message (see OpenMessage). */
export interface ExtractionProcessData {
  filePath: string;
  format: DocumentFormat;
  /** PDF only. */
  maxPages?: number;
  /** PDF only. */
  maxPageCharacters?: number;
  /** Text only: checked while the file is counted (a PDF's is checked by the worker, page by page). */
  maxDocumentCharacters?: number;
}

/** Worker → extraction process, first and once: open this document. */
export interface OpenMessage {
  type: 'open';
  data: ExtractionProcessData;
}

/** Worker → extraction process: extract pages `from`..`to` (inclusive), in order. */
export interface ReadPagesMessage {
  type: 'read';
  from: number;
  to: number;
}

/** Worker → extraction process: close the file and exit once the requests before are served. */
export interface CloseMessage {
  type: 'close';
}

/** Worker → extraction process: close the document once the requests before are served, answer `released` and wait for the next `open`. */
export interface ReleaseMessage {
  type: 'release';
}

export type ExtractionRequest = ReadPagesMessage | CloseMessage | ReleaseMessage;

/**
 * Extraction process → worker. While opening, `progress` now and then (a long text file being counted), then
 * `opened` or `failed`. After `opened`, each read request is answered by one `page` per page and then `done`,
 * or by `failed`; requests are answered in the order they were sent.
 */
export type ExtractionMessage =
  | { type: 'progress' }
  | { type: 'opened'; pageCount: number }
  | { type: 'page'; pageNumber: number; text: string }
  | { type: 'done' }
  | { type: 'released' }
  | { type: 'failed'; error: SerializedError };

/**
 * An error as it crosses the process boundary. Serialisation keeps at most `message` (and `name` for a few
 * built-in classes), so the coded errors callers act on are rebuilt on the other side.
 */
export type SerializedError =
  | { kind: 'permanent'; code: string; message: string; details?: unknown }
  | { kind: 'app'; code: string; message: string; status: number; details?: unknown }
  | { kind: 'system'; code: string; message: string }
  | { kind: 'other'; name: string; message: string };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof PermanentIngestionError) return { kind: 'permanent', code: error.code, message: error.message, details: error.details };
  if (error instanceof AppError) return { kind: 'app', code: error.code, message: error.message, status: error.status, details: error.details };
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return { kind: 'system', code, message: err.message };
  return { kind: 'other', name: err.name, message: err.message };
}

export function deserializeError(error: SerializedError): Error {
  switch (error.kind) {
    case 'permanent':
      return new PermanentIngestionError(error.code, error.message, error.details);
    case 'app':
      return new AppError(error.code, error.message, error.status, error.details);
    case 'system':
      return Object.assign(new Error(error.message), { code: error.code });
    case 'other':
      return Object.assign(new Error(error.message), { name: error.name });
  }
}
