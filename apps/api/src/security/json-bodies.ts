import { NextFunction, Request, Response } from 'express';
import { AppError } from '@app/errors';

/** JSON request bodies are small (queries, searches); uploads are multipart and streamed, not parsed here. */
export const JSON_BODY_LIMIT = '256kb';

/**
 * A request body must be JSON, or multipart/form-data for the uploads (which check that themselves). Express's
 * JSON parser skips a body of any other type, so the route saw no fields: a question sent as text/plain, or with
 * `curl -d` (application/x-www-form-urlencoded), got 400 "query is required", naming a field that was there when
 * the header was what was wrong.
 */
export function refuseBodiesNotJson(req: Request, _res: Response, next: NextFunction): void {
  // An empty body (Content-Length: 0, as fetch sends for a POST without one) has no type to check.
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(['application/json', '+json', 'multipart/form-data'])) {
    next(new AppError('unsupported_media_type', 'Send the request body as JSON, with Content-Type: application/json.', 415));
    return;
  }
  next();
}

/**
 * A body that does not decompress as its Content-Encoding says: the JSON parser's error carried zlib's words as the
 * message ("incorrect header check", "Decompression failed") under the catch-all code bad_request. An error
 * handler right after the parser; other errors pass on as they are.
 */
export function explainUndecompressableBodies(error: unknown, req: Request, _res: Response, next: NextFunction): void {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  const parserError = error as { status?: number; type?: string };
  // The parser tags what it finds wrong itself (`type`); a stream error of the inflater it passes on untagged, as a 400.
  if (encoding && encoding !== 'identity' && parserError.status === 400 && parserError.type === undefined) {
    next(new AppError('invalid_body_encoding', `The request body could not be decompressed as its Content-Encoding (${encoding.slice(0, 40)}) says.`, 400));
    return;
  }
  next(error);
}
