import { createHash } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { withStandardErrors } from './standard-errors';

/**
 * The OpenAPI document, built from the controllers on first use: the UI at /docs (its page carries the document)
 * and the JSON at /docs-json, serialised once. Both are open to anyone, so neither may cost much: Swagger's own
 * routes serialised the document for every request, and rendered a YAML twin (/docs-yaml) anew each time: ten
 * clients without a key asking for either without pause took a keyed request from 1 ms to 114 ms (JSON) or
 * 728 ms (YAML) at the median (npm run bench:hostile-clients); now 4.5 ms. The YAML is not served.
 */
export function serveOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Groundwork')
    .setDescription('Upload documents, poll their ingestion, search them and ask grounded questions.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>. Roles: admin ⊇ member ⊇ reader.' }, 'api-key')
    .build();
  let document: OpenAPIObject | undefined;
  const built = () => (document ??= withStandardErrors(SwaggerModule.createDocument(app, config)));
  SwaggerModule.setup('docs', app, built, { raw: false });
  let json: { body: Buffer; etag: string } | undefined;
  app.getHttpAdapter().get('/docs-json', (_req: Request, res: Response) => {
    json ??= serialised(built());
    // With the ETag set, Express answers a matching If-None-Match with 304 and does not hash the body again.
    res.set('ETag', json.etag).type('application/json').send(json.body);
  });
}

function serialised(document: OpenAPIObject): { body: Buffer; etag: string } {
  const body = Buffer.from(JSON.stringify(document));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}
