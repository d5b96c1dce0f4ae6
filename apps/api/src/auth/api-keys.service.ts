import { Injectable } from '@nestjs/common';
import { ApiKeyRecord, ApiKeysRepository, isUuid } from '@app/database';
import { NotFoundError, ValidationError } from '@app/errors';
import { generateApiKey } from './api-key';
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

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    const revoked = isUuid(id) ? await this.keys.revoke(id) : null;
    if (!revoked) throw new NotFoundError('API key', id);
    return revoked;
  }
}
