/** Tenant names follow the collection-name rules: they appear in keys, logs and URLs-to-be. */
export const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const TENANT_NAME_MESSAGE = 'tenant must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit';
/** Where documents uploaded without a tenant (and all data from before tenants existed) belong. */
export const DEFAULT_TENANT = 'default';
