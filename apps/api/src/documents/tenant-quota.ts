import type { AppConfig } from '@app/config';
import type { TenantUsage } from '@app/database';
import { AppError } from '@app/errors';

export type TenantQuotas = AppConfig['quotas'];

/** 429 `quota_exceeded`: the upload would take the tenant past MAX_DOCUMENTS_PER_TENANT or MAX_BYTES_PER_TENANT. */
export class QuotaExceededError extends AppError {
  constructor(message: string, details: { quota: 'documents' | 'bytes'; limit: number; used: number; upload_bytes?: number }) {
    super('quota_exceeded', message, 429, details);
  }
}

/** Whether any quota is set: without one, uploads skip the usage queries and the per-tenant lock. */
export function hasQuota(quotas: TenantQuotas): boolean {
  return quotas.maxDocumentsPerTenant !== null || quotas.maxBytesPerTenant !== null;
}

/**
 * Throws QuotaExceededError when one more document of `uploadBytes` would take the tenant past a quota.
 * Without `uploadBytes` (the file not read yet) the bytes are refused only when none are left, since an
 * accepted file has at least one (empty files are refused).
 */
export function admitUpload(quotas: TenantQuotas, usage: TenantUsage, uploadBytes?: number): void {
  const { maxDocumentsPerTenant: maxDocuments, maxBytesPerTenant: maxBytes } = quotas;
  if (maxDocuments !== null && usage.documents + 1 > maxDocuments) {
    throw new QuotaExceededError(
      `The tenant already has ${usage.documents} documents, its limit (MAX_DOCUMENTS_PER_TENANT) is ${maxDocuments}; delete one to upload another.`,
      { quota: 'documents', limit: maxDocuments, used: usage.documents },
    );
  }
  if (maxBytes !== null && uploadBytes === undefined && usage.bytes >= maxBytes) {
    throw new QuotaExceededError(
      `The tenant's documents already take ${usage.bytes} bytes, its limit (MAX_BYTES_PER_TENANT) is ${maxBytes}; delete some to upload more.`,
      { quota: 'bytes', limit: maxBytes, used: usage.bytes },
    );
  }
  if (maxBytes !== null && uploadBytes !== undefined && usage.bytes + uploadBytes > maxBytes) {
    throw new QuotaExceededError(
      `This file (${uploadBytes} bytes) would take the tenant's documents to ${usage.bytes + uploadBytes} bytes, ` +
        `over its limit (MAX_BYTES_PER_TENANT) of ${maxBytes}; ${usage.bytes} bytes are in use.`,
      { quota: 'bytes', limit: maxBytes, used: usage.bytes, upload_bytes: uploadBytes },
    );
  }
}

/**
 * Throws QuotaExceededError when a new version of `uploadBytes` would take the tenant past MAX_BYTES_PER_TENANT.
 * A replacement adds no document; until it is swapped in both versions' files are stored, so both count
 * (`usage` already includes the current version, and leaves out a pending version the replacement supersedes).
 */
export function admitReplacement(quotas: TenantQuotas, usage: TenantUsage, uploadBytes: number): void {
  admitUpload({ ...quotas, maxDocumentsPerTenant: null }, usage, uploadBytes);
}
