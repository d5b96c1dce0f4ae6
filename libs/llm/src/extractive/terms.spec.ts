import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentTerms, stem } from './terms';

test('inflections of one word share a stem', () => {
  const groups = [
    ['policy', 'policies'],
    ['employee', 'employees', "employee's"],
    ['receive', 'receives', 'received', 'receiving'],
    ['vacation', 'vacations'],
    ['run', 'running', 'runs'],
    ['box', 'boxes'],
    ['fall', 'falling'],
  ];
  for (const group of groups) {
    assert.equal(new Set(group.map(stem)).size, 1, `${group.join('/')} -> ${group.map(stem).join('/')}`);
  }
  assert.notEqual(stem('policy'), stem('police'));
  assert.equal(stem('bus'), 'bus');
  assert.equal(stem('analysis'), 'analysis');
  assert.equal(stem('2024s'), '2024s');
});

test('content terms drop stop words and question words, lowercase and stem the rest', () => {
  assert.deepEqual([...contentTerms('How many vacation days do new employees get?')], ['vacation', 'day', 'new', 'employe']);
  assert.deepEqual([...contentTerms('What is it?')], []);
  assert.deepEqual([...contentTerms('Badges, BADGES and badge.')], ['badg']);
});
