/**
 * `value` as the JSON text of a `::jsonb` parameter. JSON.stringify writes an unpaired UTF-16 surrogate (from a
 * `"\ud800"` escape in a request, or a string cut between the two halves of an emoji) as such an escape, which
 * jsonb refuses ("Unicode low surrogate must follow a high surrogate"), failing the whole statement: a metadata
 * filter or an upload's metadata holding one was a 500. pg already sends one in a text parameter as U+FFFD (its
 * UTF-8 encoding does), and so does this, in keys and values alike, so a filter still matches the metadata it names.
 */
export function jsonbText(value: unknown): string {
  return JSON.stringify(value, wellFormed);
}

// Called by JSON.stringify for every value (after toJSON), the root included; an object with a malformed key is
// copied with its keys mended, and its values come back through here.
function wellFormed(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.every((key) => key.isWellFormed())) return value;
  return Object.fromEntries(keys.map((key) => [key.toWellFormed(), (value as Record<string, unknown>)[key]]));
}
