import type { ApiKeyRole } from '@app/database';
import { ForbiddenError } from './auth.errors';
import { DEFAULT_TENANT } from './tenant-name';

/** Who is calling: the API key that authenticated the request, its role and its tenant. */
export interface Principal {
  /** The api_keys row, or null for the ADMIN_API_KEY from the environment (which has no row). */
  keyId: string | null;
  /** The key's public prefix for audit and rate limiting; `env` for the ADMIN_API_KEY. */
  keyPrefix: string;
  role: ApiKeyRole;
  /** The tenant whose data the key may touch; null for admin keys, which see every tenant. */
  tenant: string | null;
}

// admin ⊇ member ⊇ reader: a higher rank may do everything a lower one may.
const ROLE_RANK: Record<ApiKeyRole, number> = { reader: 1, member: 2, admin: 3 };

export function hasRole(principal: Principal, required: ApiKeyRole): boolean {
  return ROLE_RANK[principal.role] >= ROLE_RANK[required];
}

/**
 * The tenant a request works in: a tenant key's own (naming another is 403), or for admin keys, which have
 * none, the tenant the request names or 'default'.
 */
export function requestTenant(principal: Principal, requested: string | undefined): string {
  if (principal.tenant === null) return requested ?? DEFAULT_TENANT;
  if (requested !== undefined && requested !== principal.tenant) throw new ForbiddenError("This key works only in its own tenant.");
  return principal.tenant;
}
