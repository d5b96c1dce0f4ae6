import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMetadataFilter } from '@app/database';
import { InvalidFilterError, MAX_FILTER_CONDITIONS, parseMetadataFilter } from './metadata-filter';

/** The request's filter checked into a tree, then compiled as a statement with no parameters of its own would. */
function compile(filter: Record<string, unknown>): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  return { sql: compileMetadataFilter(parseMetadataFilter(filter), params), params };
}

test('a plain value is containment, which the GIN index serves', () => {
  assert.deepEqual(parseMetadataFilter({ team: 'hr' }), { kind: 'equals', field: 'team', value: 'hr', negated: false });
  const { sql, params } = compile({ team: 'hr' });
  assert.equal(sql, 'd.metadata @> $1::jsonb');
  assert.deepEqual(params, ['{"team":"hr"}']);
});

test('operators on one field and top-level keys are AND-ed; $or nests', () => {
  assert.deepEqual(parseMetadataFilter({ year: { $gte: 2020, $lt: 2025 }, $or: [{ team: 'a' }, { tags: { $nin: ['x'] } }] }), {
    kind: 'all',
    conditions: [
      {
        kind: 'all',
        conditions: [
          { kind: 'compare', field: 'year', comparison: '>=', value: 2020 },
          { kind: 'compare', field: 'year', comparison: '<', value: 2025 },
        ],
      },
      {
        kind: 'any',
        conditions: [
          { kind: 'equals', field: 'team', value: 'a', negated: false },
          { kind: 'in', field: 'tags', values: ['x'], negated: true },
        ],
      },
    ],
  });
  const { sql, params } = compile({ year: { $gte: 2020, $lt: 2025 }, $or: [{ team: 'a' }, { tags: { $in: ['x'] } }] });
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
  for (const [filter, message] of cases) assertInvalid(filter, message);
});

test('hostile filters are refused early and cheaply: deep nesting, huge arrays, many keys, long strings and names', () => {
  let deep: Record<string, unknown> = { a: 1 };
  for (let i = 0; i < 20_000; i++) deep = { $and: [deep] };
  const many = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));
  const cases: [unknown, RegExp][] = [
    [deep, /deeper than 5 levels/],
    [{ tags: { $in: many(100_000, (i) => `t${i}`) } }, /array of 1-100 scalars/],
    [{ $or: many(100_000, (i) => ({ [`f${i}`]: i })) }, /more than 50 conditions/],
    [Object.fromEntries(many(100_000, (i): [string, number] => [`f${i}`, i])), /more than 50 conditions/],
    [{ $and: many(50, () => ({ $or: many(50, (i) => ({ [`f${i}`]: i })) })) }, /more than 50 conditions/],
    [{ team: 'x'.repeat(1_000_000) }, /strings are at most 1000 characters/],
    [{ tags: { $in: ['ok', 'y'.repeat(5_000)] } }, /filters\.tags\.\$in\[1\]: strings are at most/],
    [{ team: { $ne: 'h\u0000r' } }, /filters\.team\.\$ne: strings cannot contain the NUL character/],
    [{ ['k'.repeat(1_000_000)]: 1 }, /field names/],
    [{ ['$'.repeat(1_000_000)]: 1 }, /unknown operator/],
  ];
  for (const [filter, message] of cases) {
    const started = performance.now();
    const error = assertInvalid(filter, message);
    // An error message never echoes a caller's megabyte back.
    assert.ok(error.message.length < 500, `${error.message.length} characters`);
    // Generous: refusing one of these takes microseconds to milliseconds; a quadratic walk would take minutes.
    assert.ok(performance.now() - started < 5_000);
  }
  // The limits are inclusive: 50 conditions pass.
  assert.equal((parseMetadataFilter({ $or: many(MAX_FILTER_CONDITIONS, (i) => ({ [`f${i}`]: i })) }) as { conditions: unknown[] }).conditions.length, 50);
});

function assertInvalid(filter: unknown, message: RegExp): InvalidFilterError {
  let caught: unknown;
  assert.throws(() => parseMetadataFilter(filter as Record<string, unknown>), (error: unknown) => {
    caught = error;
    assert.ok(error instanceof InvalidFilterError, String(error));
    assert.equal(error.code, 'invalid_filter');
    assert.equal(error.status, 400);
    assert.match(error.message, message);
    return true;
  });
  return caught as InvalidFilterError;
}
