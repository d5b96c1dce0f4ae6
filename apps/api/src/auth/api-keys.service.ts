import { Injectable } from '@nestjs/common';
import { ApiKeyRecord, ApiKeysRepository, isUuid } from '@app/database';
import { NotFoundError, ValidationError } from '@app/errors';
import { generateApiKey } from './api-key';
import { decodeListCursor, encodeListCursor } from '../pagination/list-cursor';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../pagination/page-query.dto';
import { CreateApiKeyDto } from './dto/api-key.dto';

/** Issues, lists and revokes API keys. The raw key exists only in the creation response. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly keys: ApiKeysRepository) {}

  async create(request: CreateApiKeyDto): Promise<{ record: ApiKeyRecord; key: string }> {
    if (request.role !== 'admin' && !request.tenant) throw new ValidationError(`A ${request.role} key needs a tenant.`);
    if (request.role === 'admin' && request.tenant) throw new ValidationError('Admin keys see every tenant; leave tenant out.');
    const generated = generateApiKey();
    const record = await this.keys.insert({
      name: request.name,
      role: request.role,
      tenant: request.tenant ?? null,
      prefix: generated.prefix,
      keySha256: generated.sha256,
    });
    return { record, key: generated.key };
  }

  /** A page of keys, newest first, and the cursor of the next page (null on the last). */
  async list(query: PageQueryDto): Promise<{ data: ApiKeyRecord[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.keys.list(limit + 1, query.cursor ? decodeListCursor(query.cursor) : undefined);
    const page = rows.slice(0, limit);
    return { data: page.map((row) => row.key), nextCursor: rows.length > limit ? encodeListCursor(page[page.length - 1].position) : null };
  }

  async revoke(id: string): Promise<{ key: ApiKeyRecord; revokedNow: boolean }> {
    const revoked = isUuid(id) ? await this.keys.revoke(id) : null;
    if (!revoked) throw new NotFoundError('API key', id);
    return revoked;
  }
}
