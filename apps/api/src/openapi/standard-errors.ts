import { OpenAPIObject } from '@nestjs/swagger';
import { JSON_BODY_LIMIT } from '../security/json-bodies';

type Schema = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

const ERROR_SCHEMA = 'ErrorResponse';

/** `{ error: { code, message, details? } }`, the body of every error (apps/api/src/errors/app-exception.filter.ts). */
const errorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable: what clients branch on', example: 'validation_failed' },
        message: { type: 'string', description: 'For people; may change' },
        details: { description: 'Per code: the fields and their problems for validation_failed, retry_after_seconds for 429 and 503, …' },
      },
    },
  },
};

/** Errors every operation of a kind can answer, whether or not its controller says so. */
const BAD_INPUT = '`validation_failed`: a parameter or body field is not what the operation takes (`details` names each field and its problems); other codes per operation (`invalid_json`, `json_too_deep`, `invalid_cursor`, `invalid_filter`, …)';
const NOT_FOUND = '`not_found`: nothing of that id or name in the key\'s tenant';
const TOO_LARGE = `\`payload_too_large\`: the JSON body is over ${JSON_BODY_LIMIT}`;
const NOT_JSON = '`unsupported_media_type`: the body is not sent as JSON (Content-Type: application/json)';

/**
 * Adds to every operation the error responses the API's shared layers give (bad input, a path naming nothing, a JSON
 * body too large or not JSON), where its controller left them out, and the error body's schema to every 4xx and
 * 5xx response: a client generated from the document then knows every status it can get and how to read it.
 */
export function withStandardErrors(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, [ERROR_SCHEMA]: errorSchema } };
  for (const methods of Object.values(document.paths)) {
    for (const operation of [methods.get, methods.post, methods.put, methods.patch, methods.delete]) {
      if (!operation) continue;
      const responses = operation.responses;
      const parameters = (operation.parameters ?? []) as { in?: string }[];
      const takesJson = Boolean((operation.requestBody as { content?: Record<string, unknown> } | undefined)?.content?.['application/json']);
      responses['400'] ??= { description: BAD_INPUT };
      if (parameters.some((parameter) => parameter.in === 'path')) responses['404'] ??= { description: NOT_FOUND };
      if (takesJson) {
        responses['413'] ??= { description: TOO_LARGE };
        responses['415'] ??= { description: NOT_JSON };
      }
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400 && response && !('$ref' in response)) {
          response.content ??= { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` } } };
        }
      }
    }
  }
  return document;
}
