import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import type { ApiKeyRole } from '@app/database';
import { Request } from 'express';
import { Principal } from './principal';

export const REQUIRED_ROLE = 'groundwork:required-role';
export const PUBLIC_ROUTE = 'groundwork:public-route';

/** Decides from the configuration whether a route is open; `() => true` for always. */
export type PublicWhen = (config: AppConfig) => boolean;

/**
 * The least role a route needs (admin ⊇ member ⊇ reader). Every route must carry this or `@Public()`: the
 * global guard refuses routes with neither, so a forgotten decorator fails closed.
 */
export function RequireRole(role: ApiKeyRole): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiBearerAuth('api-key'),
    ApiUnauthorizedResponse({ description: '`unauthorized`: no API key, or not a valid one (unknown or revoked)' }),
    ApiForbiddenResponse({ description: `\`forbidden\`: the key's role is below ${role}` }),
    ApiTooManyRequestsResponse({
      description: '`rate_limited`: the key or all keys together are over their per-minute limit; `too_many_auth_failures`: too many failed ' +
        'authentications from this address. Both with Retry-After and `details.retry_after_seconds`.',
    }),
  );
}

/** A route anyone may call without a key (when `when` says so; always by default). */
export function Public(when: PublicWhen = () => true): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC_ROUTE, when);
}

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

/** The principal the guard resolved for this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // The guard runs before any handler; a handler without a principal is a route that skipped the guard.
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
