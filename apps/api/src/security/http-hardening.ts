import { INestApplication } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { AppConfig } from '@app/config';

/** Headers the browser may read from cross-origin responses: rate-limit state and upload locations. */
const EXPOSED_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'Location'];

/**
 * Security headers (helmet) and CORS. API responses are JSON or SSE, never pages, so they get a CSP that
 * allows nothing; the OpenAPI UI keeps helmet's default page CSP; the admin page sets its own CSP (hashes of
 * its inline script and style), which replaces this one. CORS is closed unless CORS_ORIGINS lists origins.
 */
export function applyHttpHardening(app: INestApplication, config: AppConfig): void {
  const forApi = helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
  const forDocs = helmet();
  app.use((req: Request, res: Response, next: NextFunction) => (req.path === '/docs' || req.path.startsWith('/docs/') ? forDocs : forApi)(req, res, next));
  if (config.security.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.security.corsOrigins,
      // Every method a route uses: a browser asks before a PUT (replacing a document) or a PATCH (a collection's description).
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Accept'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  }
}
