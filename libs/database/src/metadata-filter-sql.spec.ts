import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMetadataFilter, MetadataFilterNode } from './metadata-filter-sql';

test("placeholders continue the statement's own numbering; values are parameters, never text", () => {
  const filter: MetadataFilterNode = {
    kind: 'any',
    conditions: [
      { kind: 'equals', field: "o'neil", value: 'x"; DROP TABLE chunks; --', negated: true },
      { kind: 'compare', field: 'year', comparison: '<=', value: 2024 },
      { kind: 'compare', field: 'name', comparison: '>', value: 'm' },
      { kind: 'in', field: 'tags', values: ['a', 1, null], negated: false },
    ],
  };
  const params: unknown[] = ['collection', 'vector', 10];
  const sql = compileMetadataFilter(filter, params, 'd.metadata');
  assert.equal(
    sql,
    '(NOT (d.metadata @> $4::jsonb) OR ' +
      "(jsonb_typeof(d.metadata -> $5) = 'number' AND (d.metadata ->> $5)::numeric <= $6) OR " +
      "(jsonb_typeof(d.metadata -> $7) = 'string' AND (d.metadata ->> $7) > $8) OR " +
      '(d.metadata -> $9) IN (SELECT jsonb_array_elements($10::jsonb)))',
  );
  assert.deepEqual(params, ['collection', 'vector', 10, '{"o\'neil":"x\\"; DROP TABLE chunks; --"}', 'year', 2024, 'name', 'm', 'tags', '["a",1,null]']);
  assert.doesNotMatch(sql, /neil|DROP/);
});

test('$nin is true for documents without the field', () => {
  const params: unknown[] = [];
  assert.equal(compileMetadataFilter({ kind: 'in', field: 'lang', values: ['de'], negated: true }, params), 'NOT coalesce((d.metadata -> $1) IN (SELECT jsonb_array_elements($2::jsonb)), false)');
});
