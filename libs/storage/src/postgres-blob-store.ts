import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatabaseError, Pool } from 'pg';
import { createBlobMeter } from './blob-meter';
import { assertSha256, BlobNotFoundError, BlobStore, StagedBlob } from './blob-store';

/** Bytes per stored part: the largest a part may be (migrations/0014), and what one statement writes. */
export const BLOB_PART_BYTES = 1024 * 1024;

/** Parts fetched per query when reading: 2 MiB in memory at most, in few round trips. */
const READ_PARTS_PER_QUERY = 2;

const UNIQUE_VIOLATION = '23505';

/**
 * How often a staged row's written_at is renewed while its upload sends bytes too slowly to fill a part: the
 * staging sweep takes a row unwritten for longer than the upload idle timeout plus a minute (StagingSweeper)
 * for a crash's leftover, and a client sending 10 KB/s takes 100 s to fill a part.
 */
const WRITTEN_AT_REFRESH_MS = 10_000;

/**
 * BlobStore in PostgreSQL (the tables of migrations/0014, which this class alone writes): each file is a row
 * of blob_contents and its bytes in parts of at most 1 MiB, written one part per statement as the upload
 * arrives and read back a few parts per query. So any machine that reaches the database reads every blob,
 * and no file is ever held whole in memory.
 */
export class PostgresBlobStore implements BlobStore {
  readonly backend = 'postgres';

  /** @param writtenAtRefreshMs see WRITTEN_AT_REFRESH_MS; tests shorten it */
  constructor(
    private readonly pool: Pool,
    private readonly writtenAtRefreshMs = WRITTEN_AT_REFRESH_MS,
  ) {}

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    const id = randomUUID();
    const meter = createBlobMeter(maxBytes);
    // The pipeline attaches to `source` before this function first awaits (a small upload may otherwise end,
    // or fail, with nobody listening); the staging row is inserted by the writer's construct step.
    const writer = new PartWriter(this.pool, id, this.writtenAtRefreshMs);
    try {
      await pipeline(source, meter.stream, writer);
    } catch (error) {
      // A statement still running would otherwise write its part after the row is gone, or insert the row.
      await writer.idle();
      await this.removeStaged(id);
      throw error;
    }
    const sha256 = meter.digest();
    return {
      sha256,
      size: meter.size,
      commit: () => this.publish(id, sha256, meter.size),
      discard: () => this.removeStaged(id),
    };
  }

  read(sha256: string): Readable {
    assertSha256(sha256);
    return Readable.from(this.parts(sha256), { objectMode: false });
  }

  async delete(sha256: string): Promise<void> {
    assertSha256(sha256);
    // The parts go with their row (ON DELETE CASCADE).
    await this.pool.query('DELETE FROM blob_contents WHERE sha256 = $1', [sha256]);
  }

  async exists(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    const { rows } = await this.pool.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM blob_contents WHERE sha256 = $1) AS found', [sha256]);
    return rows[0].found;
  }

  /** Ends the store's pool (the one it was given: StorageModule gives it one of its own). */
  async close(): Promise<void> {
    await this.pool.end();
  }

  async sweepStaging(unwrittenMs: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      "DELETE FROM blob_contents WHERE sha256 IS NULL AND written_at < now() - $1 * interval '1 millisecond' RETURNING id",
      [unwrittenMs],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Publishes the staged row under its hash. When identical content is already stored the staged copy is
   * dropped instead: found by the NOT EXISTS, or — when two uploads of the same content commit at the same
   * moment and both pass it — by the unique index refusing the second.
   */
  private async publish(id: string, sha256: string, size: number): Promise<void> {
    let published: number | null;
    try {
      ({ rowCount: published } = await this.pool.query(
        `UPDATE blob_contents SET sha256 = $2, size = $3
          WHERE id = $1 AND sha256 IS NULL AND NOT EXISTS (SELECT 1 FROM blob_contents WHERE sha256 = $2)`,
        [id, sha256, size],
      ));
    } catch (error) {
      if (!(error instanceof DatabaseError && error.code === UNIQUE_VIOLATION)) throw error;
      published = 0;
    }
    if (published) return;
    if (!(await this.exists(sha256))) throw new Error(`staged blob ${id} was removed before it was committed`);
    await this.removeStaged(id);
  }

  private async removeStaged(id: string): Promise<void> {
    await this.pool.query('DELETE FROM blob_contents WHERE id = $1 AND sha256 IS NULL', [id]);
  }

  /** The blob's parts in order, a few per query; fails if the blob is deleted while being read. */
  private async *parts(sha256: string): AsyncGenerator<Buffer> {
    const { rows } = await this.pool.query<{ id: string; size: string }>('SELECT id, size FROM blob_contents WHERE sha256 = $1', [sha256]);
    if (rows.length === 0) throw new BlobNotFoundError(sha256);
    const { id } = rows[0];
    const size = Number(rows[0].size);
    let delivered = 0;
    for (let next = 0; ; ) {
      const batch = await this.pool.query<{ part: number; data: Buffer }>(
        'SELECT part, data FROM blob_content_parts WHERE content_id = $1 AND part >= $2 ORDER BY part LIMIT $3',
        [id, next, READ_PARTS_PER_QUERY],
      );
      for (const row of batch.rows) {
        delivered += row.data.length;
        yield row.data;
      }
      if (batch.rows.length < READ_PARTS_PER_QUERY) break;
      next = batch.rows[batch.rows.length - 1].part + 1;
    }
    // Parts vanish with their row: a read that raced a delete must not pass for the whole file.
    if (delivered !== size) throw new Error(`blob ${sha256} was deleted while being read (${delivered} of ${size} bytes)`);
  }
}

/**
 * Writes a staged upload's bytes as parts of exactly BLOB_PART_BYTES (the last one shorter), each in its own
 * statement: at most one part is buffered, and no transaction stays open while a slow client uploads.
 */
class PartWriter extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private part = 0;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** When written_at was last set (Date.now()), by the row's insert, a part's or a refresh. */
  private writtenAt = Date.now();

  constructor(
    private readonly pool: Pool,
    private readonly id: string,
    private readonly writtenAtRefreshMs: number,
  ) {
    super({ highWaterMark: BLOB_PART_BYTES });
  }

  /** Resolves once none of this writer's statements is running; their failures reached the stream already. */
  idle(): Promise<void> {
    return this.inFlight.then(
      () => undefined,
      () => undefined,
    );
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.run(this.pool.query('INSERT INTO blob_contents (id) VALUES ($1)', [this.id]), callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= BLOB_PART_BYTES) return this.run(this.flush(false), callback);
    if (Date.now() - this.writtenAt >= this.writtenAtRefreshMs) return this.run(this.markWritten(), callback);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.run(this.flush(true), callback);
  }

  private run(work: Promise<unknown>, callback: (error?: Error | null) => void): void {
    this.inFlight = work;
    work.then(() => callback(), callback);
  }

  /** Stores every whole part pending, and with `last` the rest too. */
  private async flush(last: boolean): Promise<void> {
    let pending = Buffer.concat(this.pending, this.pendingBytes);
    while (pending.length >= BLOB_PART_BYTES || (last && pending.length > 0)) {
      await this.insert(pending.subarray(0, BLOB_PART_BYTES));
      pending = pending.subarray(Math.min(BLOB_PART_BYTES, pending.length));
    }
    this.pending = pending.length ? [pending] : [];
    this.pendingBytes = pending.length;
  }

  private async markWritten(): Promise<void> {
    this.writtenAt = Date.now();
    await this.pool.query('UPDATE blob_contents SET written_at = now() WHERE id = $1', [this.id]);
  }

  private async insert(data: Buffer): Promise<void> {
    this.writtenAt = Date.now();
    await this.pool.query(
      `WITH part AS (INSERT INTO blob_content_parts (content_id, part, data) VALUES ($1, $2, $3))
       UPDATE blob_contents SET written_at = now() WHERE id = $1`,
      [this.id, this.part, data],
    );
    this.part += 1;
  }
}
