import { Injectable, NestMiddleware } from '@nestjs/common';
import { httpRequestDuration } from '@app/observability';
import { NextFunction, Request, Response } from 'express';

/**
 * The `route` label: the matched route's pattern (`/v1/documents/:id`), so the label set stays small
 * whatever ids clients send. Requests no route matched (404s, scanners) share one label.
 */
export function routeLabel(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
}

/** Times every request from arrival to the response being done (or the client going away). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const stopTimer = httpRequestDuration.startTimer();
    // 'close' also fires when a client drops a streaming response early, which 'finish' would miss.
    res.once('close', () => stopTimer({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }));
    next();
  }
}
