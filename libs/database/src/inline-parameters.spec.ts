import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inlineParameters } from './inline-parameters';

describe('inlineParameters', () => {
  it('puts each placeholder’s value in its place, $10 not read as $1 followed by 0', () => {
    const params = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    assert.equal(inlineParameters('SELECT $1, $10, $1::text', params), "SELECT 'v1', 'v10', 'v1'::text");
  });

  it('quotes strings, numbers and dates, doubles quotes, and writes NULL and booleans bare', () => {
    assert.equal(inlineParameters('$1 $2 $3 $4 $5', ["it's", 0.9, null, true, undefined]), "'it''s' '0.9' NULL true NULL");
    assert.equal(inlineParameters('$1', [new Date('2026-01-02T03:04:05.000Z')]), "'2026-01-02T03:04:05.000Z'");
  });

  it('writes arrays with every element double-quoted, so commas, braces, quotes and backslashes stay inside it', () => {
    assert.equal(inlineParameters('$1', [['a,b', '{c}', 'd"e', 'f\\g', null, 7]]), ` E'{"a,b","{c}","d\\\\"e","f\\\\\\\\g",NULL,"7"}'`);
    assert.equal(inlineParameters('$1', [[]]), "'{}'");
  });

  it('refuses what it cannot write rather than guessing: a missing parameter, a number that is not finite, binary', () => {
    assert.throws(() => inlineParameters('SELECT $2', ['only one']), /\$2 has no parameter/);
    assert.throws(() => inlineParameters('SELECT $1', [Number.NaN]), /not a finite number/);
    assert.throws(() => inlineParameters('SELECT $1', [[1, Number.POSITIVE_INFINITY]]), /not finite/);
    assert.throws(() => inlineParameters('SELECT $1', [Buffer.from('x')]), /cannot be inlined/);
    assert.throws(() => inlineParameters('SELECT $1', [{ a: 1 }]), /cannot be inlined/);
  });
});
