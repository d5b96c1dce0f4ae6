import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vectorToBinary } from './vector-binary';

describe('vectorToBinary', () => {
  it('writes the dimension, a zero, then big-endian float4 elements', () => {
    const bytes = vectorToBinary(Float32Array.from([1, -0.5, 0.1]));
    assert.equal(bytes.length, 4 + 3 * 4);
    assert.equal(bytes.readInt16BE(0), 3);
    assert.equal(bytes.readInt16BE(2), 0);
    assert.deepEqual([bytes.readFloatBE(4), bytes.readFloatBE(8), bytes.readFloatBE(12)], [1, -0.5, Math.fround(0.1)]);
  });
});
