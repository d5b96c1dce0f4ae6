import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedbackRecord, QueryFeedbackRepository } from '@app/database';
import { NotFoundError } from '@app/errors';
import { redactPii } from '@app/privacy';
import { QueryRecorder } from '@app/rag';
import { Principal } from '../auth/principal';
import { FeedbackRequestDto, MAX_FEEDBACK_COMMENT_CHARS } from './dto/feedback.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How long feedback waits, once, for a query log row another api process may still be committing: the answer
 * went out while its row was being written, and a client behind a load balancer can rate it on another process
 * before that commit (this process's own writes are awaited exactly, through the recorder).
 */
const OTHER_PROCESS_GRACE_MS = 300;

/** Ratings of answers, stored in the answer's tenant; one per answer, the latest replacing the earlier. */
@Injectable()
export class FeedbackService {
  constructor(
    private readonly feedback: QueryFeedbackRepository,
    private readonly recorder: QueryRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** NotFoundError (404) for an id that is not a query the key's tenant made: unknown and another tenant's alike. */
  async rate(queryId: string, body: FeedbackRequestDto, principal: Principal): Promise<FeedbackRecord> {
    if (!UUID.test(queryId)) throw new NotFoundError('Query', queryId);
    // A marker can be longer than what it replaces ("[email]" for "a@b.cd"): the redacted comment is cut to the
    // limit its column holds, which a comment within the limit went past (a 500).
    const comment = !body.comment ? null : this.config.security.redactPii ? redactPii(body.comment).slice(0, MAX_FEEDBACK_COMMENT_CHARS) : body.comment;
    const record = () => this.feedback.record(principal.tenant, { queryId: queryId.toLowerCase(), rating: body.rating, comment, apiKeyId: principal.keyId });
    let saved = await record();
    if (!saved) {
      await this.recorder.settled(queryId.toLowerCase());
      saved = (await record()) ?? (await sleep(OTHER_PROCESS_GRACE_MS).then(record));
    }
    if (!saved) throw new NotFoundError('Query', queryId);
    return saved;
  }
}
