/**
 * The deepest nesting of objects and arrays a JSON request body may have. The API's deepest legitimate body is
 * a metadata filter (5 levels of $and/$or, about 12 of brackets); the DTO transformation walks a body
 * recursively, and at some thousands of levels it overflows the stack (a 500) before validation can refuse it.
 */
export const MAX_JSON_DEPTH = 64;

/** The body-parser error type of a body nested deeper than MAX_JSON_DEPTH (mapped to 400 `json_too_deep`). */
export const JSON_TOO_DEEP = 'entity.too.deep';

/**
 * body-parser's `verify` hook: refuses a body nested deeper than MAX_JSON_DEPTH before it is parsed, in one pass
 * over its bytes (at most the body limit). Brackets inside strings do not count; UTF-8 continuation bytes are
 * never ASCII, so they cannot be mistaken for brackets or quotes.
 */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const byte of body) {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === 0x5c) escaped = true;
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), { status: 400, type: JSON_TOO_DEEP });
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
}
