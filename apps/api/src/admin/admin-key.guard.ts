import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiKeysRepository } from '@app/database';
import { AppError } from '@app/errors';
import { Request } from 'express';
import { apiKeyPrefix, apiKeySha256, bearerToken, sameDigest } from './api-key';

export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super('unauthorized', message, 401);
  }
}

/**
 * Lets a request through only with an admin key: `ADMIN_API_KEY` when set, or an active `admin` key from
 * api_keys (such as the one generated on first start). Keys are compared by SHA-256 digest in constant time.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly configuredDigest: Buffer | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeysRepository,
  ) {
    this.configuredDigest = config.adminApiKey ? apiKeySha256(config.adminApiKey) : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const key = bearerToken(context.switchToHttp().getRequest<Request>().headers.authorization);
    if (!key) throw new UnauthorizedError('An admin API key is required: send it as "Authorization: Bearer <key>".');
    if (!(await this.isAdminKey(key))) throw new UnauthorizedError('The API key is not a valid admin key.');
    return true;
  }

  private async isAdminKey(key: string): Promise<boolean> {
    const digest = apiKeySha256(key);
    if (this.configuredDigest && sameDigest(digest, this.configuredDigest)) return true;
    const prefix = apiKeyPrefix(key);
    if (!prefix) return false;
    const stored = await this.keys.findActiveByPrefix(prefix);
    return stored !== null && stored.role === 'admin' && sameDigest(digest, stored.keySha256);
  }
}
