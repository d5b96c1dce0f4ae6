import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { AppError } from '@app/errors';
import { ALL_TENANTS, PG_POOL, tenantQuery, withTenant } from './pg-pool';

/**
 * The blob lifecycle (migrations/0015_blob_lifecycle.sql). A stored file is removed from the store only by
 * `collect`, which holds the blob's row lock while it checks that no document names the blob and no upload
 * claim is live, removes the content, then the row. Everyone else who needs the content takes the same lock:
 *
 * - An upload claims the blob (row created or locked, a claim row with an expiry) before it publishes the
 *   file, and redeems the claim in the transaction that inserts its document: under the row lock it checks
 *   that the claim has not expired, deletes it, and the insert's foreign key makes the document a reference.
 *   A claim that expires first is refused, since the collector may have taken the content meanwhile.
 * - Deleting a document marks its blob for collection in the same transaction, so a crash after it leaves a
 *   mark the collector finds.
 *
 * Why the content a document needs is never taken: the collector acts at transaction time T only when every
 * claim expired before T, under a lock it holds while removing the content. An upload whose claim it saw
 * expired can only redeem (under the same lock) after the collector, so later than its expiry, and is refused;
 * an upload that claims while the collector holds the lock waits for it and publishes the content after it. A redeemed
 * claim's document holds the blob from its commit on (the foreign key refuses the row's deletion, and the
 * collector looks for documents after taking the lock, in a fresh snapshot).
 *
 * Why nothing leaks for ever: every way a blob can lose its last reference leaves a mark due at once (a
 * document deleted) or at a claim's expiry (an upload that died or gave up), and the collector's pass finds
 * every due mark.
 */

/** An upload's hold on a blob, from before its file is published until its document row is inserted. */
export interface BlobClaim {
  id: string;
  sha256: string;
  expiresAt: Date;
}

export interface NewBlob {
  sha256: string;
  size: number;
  /** Which store holds the content (BlobStore.backend). */
  backend: string;
}

/** What the collector did with one blob. */
export type BlobCollection = 'collected' | 'kept' | 'busy';

/** The upload's claim expired before its document was inserted: the file may have been collected meanwhile. */
export class BlobClaimExpiredError extends AppError {
  constructor() {
    super('upload_expired', 'The upload took too long to be recorded; send it again.', 503);
  }
}

/**
 * Redeems an upload's claim in the caller's transaction, which must insert the document naming the blob
 * before it commits. Takes the blob's row lock (shared: uploads of the same file do not wait for each other)
 * and refuses a claim that is gone or expired. The expiry is compared with the clock after the lock is
 * granted, not with the transaction's start: a collector that held the lock meanwhile acted before that.
 */
export async function redeemBlobClaim(client: PoolClient, claim: BlobClaim): Promise<void> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM blobs b JOIN blob_claims c ON c.sha256 = b.sha256
     WHERE c.id = $1 AND b.sha256 = $2 FOR SHARE OF b`,
    [claim.id, claim.sha256],
  );
  const { rows } = await client.query<{ live: boolean }>(
    'DELETE FROM blob_claims WHERE id = $1 RETURNING expires_at > clock_timestamp() AS live',
    [claim.id],
  );
  if (rowCount !== 1 || !rows[0]?.live) throw new BlobClaimExpiredError();
}

/** Marks the blob for the collector, in the caller's transaction that deletes a document naming it. */
export async function markBlobForCollection(client: PoolClient, sha256: string): Promise<void> {
  await client.query('UPDATE blobs SET collect_after = least(collect_after, now()) WHERE sha256 = $1', [sha256]);
}

/**
 * blobs and blob_claims: which stored files exist, which uploads are about to name them, and when the
 * collector should look at them. Shared by every tenant (no row-level security, see 0015); the collector's
 * look for documents naming a blob spans all tenants.
 */
@Injectable()
export class BlobsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Claims the blob for an upload for `leaseSeconds`, creating its row if it is new. Made before the file is
   * published; the row lock it takes waits for a collector at work on the same blob, so the file is published
   * after any removal. The blob is marked due at the claim's expiry, for an upload that dies holding it.
   */
  /** How many files each backend other than `backend` holds (a deployment that changed BLOB_STORE). */
  async countElsewhere(backend: string): Promise<Record<string, number>> {
    const { rows } = await tenantQuery<{ backend: string; files: number }>(
      this.pool,
      ALL_TENANTS,
      'SELECT backend, count(*)::int AS files FROM blobs WHERE backend <> $1 GROUP BY backend ORDER BY backend',
      [backend],
    );
    return Object.fromEntries(rows.map((row) => [row.backend, row.files]));
  }

  async claim(blob: NewBlob, leaseSeconds: number): Promise<BlobClaim> {
    return withTenant(this.pool, ALL_TENANTS, async (client) => {
      await client.query(
        `INSERT INTO blobs AS b (sha256, size, backend, collect_after) VALUES ($1, $2, $3, now() + $4 * interval '1 second')
         ON CONFLICT (sha256) DO UPDATE SET collect_after = least(b.collect_after, EXCLUDED.collect_after)`,
        [blob.sha256, blob.size, blob.backend, leaseSeconds],
      );
      const { rows } = await client.query<{ id: string; expires_at: Date }>(
        `INSERT INTO blob_claims (sha256, expires_at) VALUES ($1, now() + $2 * interval '1 second') RETURNING id, expires_at`,
        [blob.sha256, leaseSeconds],
      );
      return { id: rows[0].id, sha256: blob.sha256, expiresAt: rows[0].expires_at };
    });
  }

  /** Gives up an upload's claim (its document was refused); the caller then collects the blob. */
  async release(claim: BlobClaim): Promise<void> {
    await withTenant(this.pool, ALL_TENANTS, async (client) => {
      await client.query('DELETE FROM blob_claims WHERE id = $1', [claim.id]);
      await markBlobForCollection(client, claim.sha256);
    });
  }

  /** Up to `limit` blobs due for the collector, after `after` in hash order (a pass pages through them). */
  async dueForCollection(limit: number, after = ''): Promise<string[]> {
    const { rows } = await withTenant(this.pool, ALL_TENANTS, (client) =>
      client.query<{ sha256: string }>(
        `SELECT sha256 FROM blobs WHERE collect_after IS NOT NULL AND collect_after <= now() AND sha256 > $2
         ORDER BY sha256 LIMIT $1`,
        [limit, after],
      ),
    );
    return rows.map((row) => row.sha256);
  }

  /**
   * Collects one blob if nothing needs it: under its row lock, expired claims are dropped; when no document
   * names the blob and no claim is live, `removeContent` deletes the stored file and then the row goes.
   * Otherwise the mark moves to the latest live claim's expiry (or is cleared). 'busy' when another
   * transaction holds the lock (an upload or a deletion of the same file, or another collector: each leaves a
   * mark of its own, and several workers may collect at once without waiting for each other) or the row is
   * already gone.
   * A `removeContent` that fails rolls everything back; the mark stays for the next pass.
   */
  async collect(sha256: string, removeContent: (sha256: string) => Promise<void>): Promise<BlobCollection> {
    return withTenant(this.pool, ALL_TENANTS, async (client) => {
      const locked = await client.query('SELECT 1 FROM blobs WHERE sha256 = $1 FOR UPDATE SKIP LOCKED', [sha256]);
      if (locked.rowCount !== 1) return 'busy';
      // Statements after the lock: their snapshot sees every document and claim committed before it.
      await client.query('DELETE FROM blob_claims WHERE sha256 = $1 AND expires_at <= now()', [sha256]);
      const { rows } = await client.query<{ named: boolean; claimed_until: Date | null }>(
        `SELECT EXISTS (SELECT 1 FROM documents WHERE blob_sha256 = $1) AS named,
                (SELECT max(expires_at) FROM blob_claims WHERE sha256 = $1) AS claimed_until`,
        [sha256],
      );
      const { named, claimed_until: claimedUntil } = rows[0];
      if (named || claimedUntil) {
        // A live claim's upload may still die holding it: look again when it expires.
        await client.query('UPDATE blobs SET collect_after = $2 WHERE sha256 = $1', [sha256, claimedUntil]);
        return 'kept';
      }
      await removeContent(sha256);
      await client.query('DELETE FROM blobs WHERE sha256 = $1', [sha256]);
      return 'collected';
    });
  }
}
