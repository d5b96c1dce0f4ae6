import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError } from '@app/errors';

/**
 * PostgreSQL's text cannot hold U+0000. A request string carrying one failed at the database with a 500
 * ("invalid byte sequence for encoding UTF8: 0x00", or "invalid message format" for a statement parameter):
 * a question, a collection name in a path, a conversation title, a feedback comment. It is refused at the
 * boundary instead, as a validation failure naming the field.
 */
const NUL = '\u0000';

/**
 * The path of the first string in `value` (keys included) that holds U+0000, '' for `value` itself; null when
 * none does. Request bodies are at most MAX_JSON_DEPTH deep (json-depth.ts), so the recursion is bounded.
 */
export function nulCharacterAt(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = key.includes(NUL) ? path : nulCharacterAt(item, path === '' ? key : `${path}.${key}`);
    if (at !== null) return at;
  }
  return null;
}

/** The validation failure for U+0000 in `field`. */
export function nulCharacterError(field: string): ValidationError {
  const problem = `${field} contains the NUL character (U+0000), which cannot be stored`;
  return new ValidationError(`${problem}.`, [{ field, problems: [problem] }]);
}

/**
 * Checks every body, query and path parameter a route receives (not custom parameters, which the app builds
 * itself). Multipart uploads are read by multipart-upload.ts, which checks its fields and file names the same way.
 */
@Injectable()
export class RefuseNulCharacters implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const at = nulCharacterAt(value);
    if (at === null) return value;
    throw nulCharacterError([metadata.data, at].filter(Boolean).join('.') || metadata.type);
  }
}
