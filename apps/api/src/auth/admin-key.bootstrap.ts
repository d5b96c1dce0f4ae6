import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiKeysRepository } from '@app/database';
import { generateApiKey } from './api-key';

/**
 * Without ADMIN_API_KEY, the first API process to start creates an admin key and prints it once: only its
 * digest is stored, so it cannot be shown again (revoke it and restart to get a new one).
 */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeysRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.adminApiKey) return;
    const generated = generateApiKey();
    const created = await this.keys.insertIfNoActiveAdmin({
      name: 'admin (generated on first start)',
      role: 'admin',
      tenant: null,
      prefix: generated.prefix,
      keySha256: generated.sha256,
    });
    // Written straight to stdout, not through the logger: the logger redacts keys, and this one line is the
    // only time the operator can see it.
    if (created) {
      process.stdout.write(
        `Groundwork admin API key (shown only this once; only its SHA-256 is stored): ${generated.key}\n` +
          'Enter it at /admin, or set ADMIN_API_KEY to use a key of your own.\n',
      );
    }
  }
}
