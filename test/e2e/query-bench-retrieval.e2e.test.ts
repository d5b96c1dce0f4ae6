import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

test('bench:retrieval ingests a BEIR dataset through the real pipeline and prints per-mode metrics as JSON', async () => {
  const { stdout } = await execFileAsync(
    process.execPath,
    [join(ROOT, 'dist', 'bench', 'retrieval.js'), join(ROOT, 'test', 'fixtures', 'mini-beir'), '--split', 'test'],
    { env: { ...process.env }, timeout: 80_000 },
  );
  const lines = stdout.trim().split('\n');
  const result = JSON.parse(lines.at(-1)!);
  assert.deepEqual(Object.keys(result), ['hybrid', 'vector', 'keyword', 'hybrid/keyword time', 'docs', 'queries']);
  assert.equal(result.docs, 12);
  assert.equal(result.queries, 6);
  assert.ok(result['hybrid/keyword time'] > 0);
  for (const mode of ['hybrid', 'vector', 'keyword']) {
    const { 'ms/query': ms, ...scores } = result[mode];
    assert.deepEqual(Object.keys(scores), ['ndcg@10', 'recall@10', 'recall@100', 'mrr@10']);
    for (const value of Object.values<number>(scores)) assert.ok(value >= 0 && value <= 1, `${mode}: ${value}`);
    assert.ok(ms > 0, `${mode}: ${ms} ms/query`);
    // One clearly relevant document per topic among twelve: every mode should find it near the top.
    assert.ok(result[mode]['mrr@10'] >= 0.8, `${mode} mrr@10 ${result[mode]['mrr@10']}`);
    assert.ok(result[mode]['recall@10'] >= 0.9, `${mode} recall@10 ${result[mode]['recall@10']}`);
  }
  assert.ok(result.hybrid['ndcg@10'] >= 0.8, `hybrid nDCG@10 ${result.hybrid['ndcg@10']}`);
  assert.ok(lines.some((line) => /^hybrid\s+ndcg@10/.test(line)), 'a readable table precedes the JSON');
});
