import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { AdminKeyBootstrap } from './admin-key.bootstrap';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysController } from './api-keys.controller';
import { AuthFailureLimiter } from '../rate-limit/auth-failure.limiter';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ApiKeysService } from './api-keys.service';

/** API keys: the global guards (authentication and roles, then rate limits), the admin key bootstrap, key management. */
@Module({
  imports: [AuditModule],
  controllers: [ApiKeysController],
  // Guards run in this order: authenticate first, then count the request against its key's limit.
  providers: [
    ApiKeyAuthenticator,
    AuthFailureLimiter,
    AdminKeyBootstrap,
    ApiKeysService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
})
export class AuthModule {}
