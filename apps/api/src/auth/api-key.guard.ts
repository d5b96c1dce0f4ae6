import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { ApiKeyRole } from '@app/database';
import { bearerToken } from './api-key';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { AuthenticatedRequest, PUBLIC_ROUTE, PublicWhen, REQUIRED_ROLE } from './auth.decorators';
import { ForbiddenError, UnauthorizedError } from './auth.errors';
import { hasRole } from './principal';
import { AuthFailureLimiter, TooManyAuthFailuresError } from '../rate-limit/auth-failure.limiter';

/**
 * The global guard: every route needs `Authorization: Bearer <key>` and the role it declares with
 * `@RequireRole`, unless it is `@Public()`. A route that declares neither is admin-only (fail closed). An
 * address with too many failed authentications is refused (429) before its key is looked up.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly failures: AuthFailureLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const publicWhen = this.reflector.getAllAndOverride<PublicWhen | undefined>(PUBLIC_ROUTE, targets);
    if (publicWhen?.(this.config)) return true;
    const required = this.reflector.getAllAndOverride<ApiKeyRole | undefined>(REQUIRED_ROLE, targets) ?? 'admin';

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = bearerToken(request.headers.authorization);
    if (!key) throw new UnauthorizedError('An API key is required: send it as "Authorization: Bearer <key>".');
    // req.ip follows TRUST_PROXY: behind a proxy that is not trusted, every client shares the proxy's address.
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const blockedSeconds = await this.failures.secondsBlocked(address);
    if (blockedSeconds > 0) throw new TooManyAuthFailuresError(blockedSeconds);
    const principal = await this.authenticator.authenticate(key);
    if (!principal) {
      await this.failures.recordFailure(address);
      throw new UnauthorizedError('The API key is not valid (unknown or revoked).');
    }
    request.principal = principal;
    if (!hasRole(principal, required)) throw new ForbiddenError(`This action needs a ${required} key; this key is a ${principal.role} key.`);
    return true;
  }
}
