import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiKeysRepository } from '@app/database';
import { apiKeyPrefix, apiKeySha256, sameDigest } from './api-key';
import { Principal } from './principal';

/** Prefix reported for the ADMIN_API_KEY, which may not be in the generated format and has no row. */
export const ENV_ADMIN_KEY_PREFIX = 'env';

/**
 * Resolves a presented key to its principal: the ADMIN_API_KEY from the environment, or an active row of
 * api_keys found by its public prefix. Keys are compared by SHA-256 digest in constant time.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly configuredDigest: Buffer | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeysRepository,
  ) {
    this.configuredDigest = config.adminApiKey ? apiKeySha256(config.adminApiKey) : null;
  }

  async authenticate(key: string): Promise<Principal | null> {
    const digest = apiKeySha256(key);
    if (this.configuredDigest && sameDigest(digest, this.configuredDigest)) {
      return { keyId: null, keyPrefix: ENV_ADMIN_KEY_PREFIX, role: 'admin', tenant: null };
    }
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const stored = await this.keys.findActiveByPrefix(prefix);
    if (!stored || !sameDigest(digest, stored.keySha256)) return null;
    // Admin keys see every tenant, whatever tenant they were created with.
    return { keyId: stored.id, keyPrefix: stored.prefix, role: stored.role, tenant: stored.role === 'admin' ? null : stored.tenant };
  }
}
