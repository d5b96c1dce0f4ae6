import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneRelevantPerQuery } from './beir-dataset';

test('oneRelevantPerQuery keeps the highest grade, the smallest id on a tie, and drops queries with none relevant', () => {
  const qrels = new Map([
    ['q1', new Map([['MED-9', 1], ['MED-7', 2], ['MED-3', 2]])],
    ['q2', new Map([['MED-1', 1]])],
    ['q3', new Map([['MED-5', 0]])],
  ]);
  assert.deepEqual(
    [...oneRelevantPerQuery(qrels)].map(([query, judged]) => [query, [...judged]]),
    [['q1', [['MED-3', 2]]], ['q2', [['MED-1', 1]]]],
  );
});
