import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMetadataFilter, InvalidFilterError } from './metadata-filter';

test('a plain value is containment, which the GIN index serves', () => {
  const { sql, params } = compileMetadataFilter({ team: 'hr' });
  assert.equal(sql, 'd.metadata @> $1::jsonb');
  assert.deepEqual(params, ['{"team":"hr"}']);
});

test('operators on one field and top-level keys are AND-ed; $or nests', () => {
  const { sql, params } = compileMetadataFilter({ year: { $gte: 2020, $lt: 2025 }, $or: [{ team: 'a' }, { tags: { $in: ['x'] } }] });
  assert.match(sql, /^\(\(.* >= \$2\) AND \(.* < \$4\)\) AND \(.*@> \$5::jsonb OR .* IN \(SELECT jsonb_array_elements\(\$7::jsonb\)\)\)\)$/);
  assert.deepEqual(params, ['year', 2020, 'year', 2025, '{"team":"a"}', 'tags', '["x"]']);
});

test('unknown operators, bad values and deep trees are rejected with the offending path', () => {
  const cases: [unknown, RegExp][] = [
    [{ year: { $regex: 'x' } }, /filters\.year\.\$regex: unknown operator/],
    [{ $nor: [] }, /unknown operator "\$nor"/],
    [{ year: { $gt: true } }, /range operators take a number or a string/],
    [{ tags: { $in: [] } }, /array of 1-100 scalars/],
    [{ 'bad field': 1 }, /field names/],
    [{ $and: [{ $and: [{ $and: [{ $and: [{ $and: [{ a: 1 }] }] }] }] }] }, /deeper than 5 levels/],
    [{}, /empty condition/],
  ];
  for (const [filter, message] of cases) {
    assert.throws(() => compileMetadataFilter(filter as Record<string, unknown>), (error: unknown) => {
      assert.ok(error instanceof InvalidFilterError);
      assert.equal(error.code, 'invalid_filter');
      assert.match(error.message, message);
      return true;
    });
  }
});
