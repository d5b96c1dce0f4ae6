import { Injectable } from '@nestjs/common';
import { AuditLogRepository } from '@app/database';
import { Principal } from '../auth/principal';

/** Records who (the calling key) did what (an action on a target) in audit_log. */
@Injectable()
export class AuditTrail {
  constructor(private readonly log: AuditLogRepository) {}

  /**
   * Called after the action succeeded. A failed write fails the request: an action that must be audited
   * must not go unrecorded silently.
   */
  async record(actor: Principal, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.log.insert({
      actorKeyId: actor.keyId,
      actorKeyPrefix: actor.keyPrefix,
      actorRole: actor.role,
      actorTenant: actor.tenant,
      action,
      target,
      details,
    });
  }
}
