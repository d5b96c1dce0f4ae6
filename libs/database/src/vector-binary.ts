/**
 * A vector in pgvector's binary format (what its `vector_recv` reads): the dimension as int16, an int16 that
 * must be 0, then every element as a big-endian float4. Sent as a query parameter (node-postgres sends a
 * Buffer in binary), a 1,536-dimensional vector is 6 KB of bytes instead of about 30 KB of decimal text
 * built, escaped and parsed on both sides, and the float32 values arrive exactly as they were.
 */
export function vectorToBinary(vector: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(4 + vector.length * 4);
  bytes.writeInt16BE(vector.length, 0);
  bytes.writeInt16BE(0, 2);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatBE(vector[i], 4 + i * 4);
  return bytes;
}
