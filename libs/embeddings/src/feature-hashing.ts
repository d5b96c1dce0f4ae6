const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-8 bytes of `text`, continuing from `hash` (so features can be hashed piece by piece). */
export function fnv1a(text: string, hash = FNV_OFFSET_BASIS): number {
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    hash = fnv1aCodePoint(code, hash);
  }
  return hash;
}

export function fnv1aByte(byte: number, hash = FNV_OFFSET_BASIS): number {
  return Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
}

/** FNV-1a step over the UTF-8 encoding of one code point (hashing bytes without allocating them). */
export function fnv1aCodePoint(code: number, hash = FNV_OFFSET_BASIS): number {
  if (code < 0x80) return fnv1aByte(code, hash);
  let h: number;
  let shift: number;
  if (code < 0x800) {
    h = fnv1aByte(0xc0 | (code >> 6), hash);
    shift = 0;
  } else if (code < 0x10000) {
    h = fnv1aByte(0xe0 | (code >> 12), hash);
    shift = 6;
  } else {
    h = fnv1aByte(0xf0 | (code >> 18), hash);
    shift = 12;
  }
  for (; shift >= 0; shift -= 6) h = fnv1aByte(0x80 | ((code >> shift) & 0x3f), h);
  return h;
}

/**
 * MurmurHash3's finaliser. FNV-1a's low bits avalanche poorly, and both the bucket (hash mod dimension) and the
 * sign must look independent of each other, so they come from two different mixes of the feature hash.
 */
export function mix32(hash: number, seed = 0): number {
  let h = (hash ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
