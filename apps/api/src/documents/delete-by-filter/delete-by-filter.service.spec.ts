import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidFilterError, parseMetadataFilter } from '@app/retrieval';
import { MAX_FILTER_PARAM_CHARS } from './delete-by-filter.dto';
import { parseFilterParam } from './delete-by-filter.service';

const refused = (text: string) => assert.throws(() => parseMetadataFilter(parseFilterParam(text)), InvalidFilterError, text.slice(0, 60));

describe('parseFilterParam (DELETE /v1/documents?filter=)', () => {
  it('reads a JSON object as the search filter it is', () => {
    const filter = parseFilterParam('{"team":"a","year":{"$lt":2020}}');
    assert.deepEqual(filter, { team: 'a', year: { $lt: 2020 } });
    assert.equal(parseMetadataFilter(filter).kind, 'all');
  });

  it('refuses what is not a JSON object, and an empty filter (which would match every document)', () => {
    for (const text of ['', 'not json', '[1]', '"a"', '1', 'null', '{}', '{"a":', '{"$where":"1"}']) refused(text);
  });

  it('refuses hostile shapes by their limits, not by a stack overflow', () => {
    // About as deep as MAX_FILTER_PARAM_CHARS allows (9 characters a level).
    const levels = Math.floor(MAX_FILTER_PARAM_CHARS / 9);
    refused(`${'{"$or":['.repeat(levels)}{"a":1}${']}'.repeat(levels)}`);
    refused(JSON.stringify(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, i]))));
    refused(JSON.stringify({ 'bad field': 1 }));
    refused(JSON.stringify({ tags: { $in: Array.from({ length: 101 }, (_, i) => i) } }));
  });
});
