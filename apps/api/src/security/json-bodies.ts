import { NextFunction, Request, Response } from 'express';
import { AppError } from '@app/errors';

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
