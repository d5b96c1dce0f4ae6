/**
 * A unit vector of `dimension` numbers from a seed (a linear congruential generator): the same on every run, not
 * along any axis, and unrelated to the vectors of other seeds. For tests and benchmarks that need many distinct
 * vectors without an embedder.
 */
export function seededUnitVector(seed: number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  let state = (seed * 2654435761) >>> 0;
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    vector[i] = state / 2 ** 32 - 0.5;
    norm += vector[i] * vector[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimension; i++) vector[i] /= norm;
  return vector;
}
