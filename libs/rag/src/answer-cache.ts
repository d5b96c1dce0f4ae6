import { endianness } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { cacheRequests, LOGGER, ThrottledWarning } from '@app/observability';
import { REDIS, TenantByteBudget } from '@app/redis';
import { answerCacheKeys, AnswerCacheScope, cosineOfUnitVectors, meaningGuard, normalizeQuery } from './answer-cache-keys';
import type { MultiQueryReport } from './query.types';
import { Citation, RetrievedSource } from './retrieved-source';

/**
 * What a later identical (or near-identical) question gets back without retrieval or generation. A change to
 * its shape or meaning bumps CACHED_ANSWER_FORMAT.
 */
export interface CachedAnswer {
  answer: string;
  citations: Citation[];
  sources: RetrievedSource[];
  model: string | null;
  outcome: 'answered' | 'no_sources';
  /** Retrieved sources that did not fit the model's context window. */
  sourcesLeftOut: number;
  multiQuery: MultiQueryReport | null;
}

export type CacheHit = { kind: 'exact' | 'semantic'; answer: CachedAnswer };

/**
 * The exact answer when there is one, else the scope's semantic entries: a miss (most questions) reads both in
 * one round trip rather than two, and a hit does not read the entries it does not need.
 */
const FIND_SCRIPT = `
local answer = redis.call('GET', KEYS[1])
if answer then return {1, answer} end
return {0, redis.call('LRANGE', KEYS[2], 0, -1)}
`;

/** Embedding cosine at or above which two questions count as the same question. */
export const SEMANTIC_MATCH_THRESHOLD = 0.95;
/**
 * Questions remembered per scope for semantic matching. Every miss reads the whole list (vectors included:
 * 64 x 1,536 float32 is 384 KiB), so it is kept short; popular questions stay because new entries go first.
 */
const SEMANTIC_ENTRIES_PER_SCOPE = 64;

/**
 * Cached answers in Redis, keyed by collection content version (see AnswerCacheScope): any change to a
 * collection's documents bumps its version, so every answer cached for it is unreachable at once and expires
 * with its TTL. Exact hits match the normalised question; semantic hits a question whose embedding is
 * within SEMANTIC_MATCH_THRESHOLD and whose numbers and negations are the same.
 *
 * The cache is an optimisation: when Redis fails, a look-up is a miss and a store is skipped (both logged),
 * and the question is answered as if there were no cache.
 */
@Injectable()
export class AnswerCache {
  private readonly ttlSeconds: number;
  private readonly prefix: string;
  private readonly budget: TenantByteBudget;
  private readonly lookUpFailed: ThrottledWarning;
  private readonly storeFailed: ThrottledWarning;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.lookUpFailed = new ThrottledWarning(logger, 'answer cache look-up failed; answering without it');
    this.storeFailed = new ThrottledWarning(logger, 'answer cache store failed');
    this.ttlSeconds = config.answers.cacheTtlSeconds;
    this.prefix = config.redisPrefix;
    this.budget = new TenantByteBudget(redis, this.prefix, 'answer', config.answers.cacheMbPerTenant * 1024 * 1024, Math.max(1, this.ttlSeconds));
  }

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  async find(scope: AnswerCacheScope, query: string, embedding: () => Promise<Float32Array>): Promise<CacheHit | null> {
    if (!this.enabled) return null;
    const keys = answerCacheKeys(this.prefix, scope);
    const normalized = normalizeQuery(query);
    try {
      const [found, value] = (await this.redis.callBuffer('EVAL', FIND_SCRIPT, 2, keys.exact(normalized), keys.semantic)) as [number, Buffer | Buffer[]];
      if (found === 1) return this.hit('exact', (value as Buffer).toString());
      const entries = value as Buffer[];
      if (entries.length > 0) {
        const vector = await embedding();
        const guard = meaningGuard(normalized);
        let best: { key: string; cosine: number } | null = null;
        for (const buffer of entries) {
          const entry = decodeEntryHeader(buffer);
          // Only entries with the same numbers and negations can match: the others' vectors are not decoded.
          if (entry.guard !== guard) continue;
          const cosine = cosineOfUnitVectors(vector, decodeEntryVector(buffer, entry.vectorStart));
          if (cosine >= SEMANTIC_MATCH_THRESHOLD && (!best || cosine > best.cosine)) best = { key: entry.key, cosine };
        }
        const semantic = best ? await this.redis.get(best.key) : null;
        if (semantic) return this.hit('semantic', semantic);
      }
    } catch (error) {
      this.lookUpFailed.warn({ err: error });
    }
    cacheRequests.inc({ cache: 'answer', result: 'miss' });
    return null;
  }

  /** Keeps `answer` for the TTL, within the tenant's budget (ANSWER_CACHE_MB_PER_TENANT); an answer over it is not kept. */
  async store(tenant: string, scope: AnswerCacheScope, query: string, embedding: () => Promise<Float32Array>, answer: CachedAnswer): Promise<void> {
    if (!this.enabled) return;
    const keys = answerCacheKeys(this.prefix, scope);
    const normalized = normalizeQuery(query);
    const exactKey = keys.exact(normalized);
    try {
      const vector = await embedding();
      const value = Buffer.from(JSON.stringify(answer));
      const entry = encodeEntry({ key: exactKey, guard: meaningGuard(normalized), vector });
      if (!(await this.budget.admit(tenant, exactKey.length + value.length + entry.length))) return;
      await this.redis
        .multi()
        .set(exactKey, value, 'EX', this.ttlSeconds)
        .lpush(keys.semantic, entry)
        .ltrim(keys.semantic, 0, SEMANTIC_ENTRIES_PER_SCOPE - 1)
        .expire(keys.semantic, this.ttlSeconds)
        .exec();
    } catch (error) {
      this.storeFailed.warn({ err: error });
    }
  }

  private hit(kind: CacheHit['kind'], json: string): CacheHit {
    cacheRequests.inc({ cache: 'answer', result: 'hit' });
    return { kind, answer: JSON.parse(json) as CachedAnswer };
  }
}

interface SemanticEntry {
  key: string;
  guard: string;
  vector: Float32Array;
}

/** [uint32 header length][header JSON][float32 vector, little-endian]: binary, as a JSON number array would be 3-4x larger. */
function encodeEntry(entry: SemanticEntry): Buffer {
  const header = Buffer.from(JSON.stringify({ key: entry.key, guard: entry.guard }));
  const out = Buffer.alloc(4 + header.length + entry.vector.length * 4);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  for (let i = 0; i < entry.vector.length; i++) out.writeFloatLE(entry.vector[i], 4 + header.length + i * 4);
  return out;
}

/** An entry's key and guard, and where its vector starts. */
function decodeEntryHeader(buffer: Buffer): { key: string; guard: string; vectorStart: number } {
  const headerLength = buffer.readUInt32LE(0);
  const { key, guard } = JSON.parse(buffer.subarray(4, 4 + headerLength).toString()) as { key: string; guard: string };
  return { key, guard, vectorStart: 4 + headerLength };
}

/** The vector of an entry: its bytes copied as they are on a little-endian machine (all that Node supports but a few), float by float elsewhere. */
function decodeEntryVector(buffer: Buffer, start: number): Float32Array {
  const vector = new Float32Array((buffer.length - start) / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(vector.buffer).set(buffer.subarray(start, start + vector.length * 4));
    return vector;
  }
  for (let i = 0; i < vector.length; i++) vector[i] = buffer.readFloatLE(start + i * 4);
  return vector;
}

const LITTLE_ENDIAN = endianness() === 'LE';
