import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Generated keys look like `gwk_3f9a0c1b2d4e_<43 characters>`: the first 16 characters are a public prefix
 * (stored, shown in listings, used to find the key's row) and the rest is the secret. Only the SHA-256 of
 * the whole key is stored, so a database dump does not leak usable keys.
 */
const PREFIX_PATTERN = /^gwk_[0-9a-f]{12}$/;
const PREFIX_LENGTH = 16;

export interface GeneratedApiKey {
  key: string;
  prefix: string;
  sha256: Buffer;
}

export function apiKeySha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A new random key (256 bits of secret) with its public prefix and digest. */
export function generateApiKey(): GeneratedApiKey {
  const prefix = `gwk_${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, sha256: apiKeySha256(key) };
}

/** The public prefix of a generated key, or null when `key` is not in the generated format. */
export function apiKeyPrefix(key: string): string | null {
  const prefix = key.slice(0, PREFIX_LENGTH);
  return PREFIX_PATTERN.test(prefix) && key[PREFIX_LENGTH] === '_' ? prefix : null;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

/** Compares two digests in constant time, so response timing reveals nothing about how much of a key matched. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
