import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ALL_TENANTS,
  AuditLogRepository,
  CollectionsRepository,
  ConversationsRepository,
  DocumentsRepository,
  findMigrationsDir,
  TenantUsageRepository,
} from '@app/database';
import { captureStatements, describeNode, PlanNode, planNodes, planStatement } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';

// Read statements planned as a real server plans them: autovacuum analyses every table, and a plan made with
// statistics can differ from the one a never-analysed test database gets. Each test fills a table the way it
// fills in production (rows in the order they are written), runs ANALYZE, and explains the statement the
// repository sent, as the application runs it (its role, its tenant, row-level security).
describe('read statements on an analysed database (real PostgreSQL)', () => {
  const db = useDatabase();

  // The indexes of migration 0025, gone (the database as it was before it) and back, each time analysed.
  const withoutMigration0025 = async () => {
    await db.owner.query('DROP INDEX documents_ready_finished_idx, documents_tenant_status_created_idx');
    await db.owner.query('ANALYZE documents');
  };
  const applyMigration0025 = async () => {
    await db.owner.query(readFileSync(join(findMigrationsDir(), '0025_document_listing_indexes.sql'), 'utf8'));
    await db.owner.query('ANALYZE documents');
  };

  const scansOf = (plan: PlanNode, relation: string) => planNodes(plan).filter((node) => node['Relation Name'] === relation);
  const summary = (plan: PlanNode) => planNodes(plan).map(describeNode).join(' / ');

  test('the audit log lists its newest entries first, reading its key backwards', async () => {
    const log = new AuditLogRepository(db.pool);
    await db.owner.query(
      `INSERT INTO audit_log (actor_key_prefix, actor_role, action, target, created_at)
       SELECT 'gwk_test', 'admin', 'api_key.create', 'key-' || i, now() - (2000 - i) * interval '1 hour'
       FROM generate_series(1, 2000) i`,
    );
    await db.owner.query('ANALYZE audit_log');

    let page: Awaited<ReturnType<AuditLogRepository['list']>> = [];
    const [first] = await captureStatements(/FROM audit_log/, async () => (page = await log.list(5)));
    // A bare `id` in ORDER BY named the output column id::text: "999" came before "2000".
    assert.deepEqual(page.map((entry) => entry.id), ['2000', '1999', '1998', '1997', '1996']);
    const next = await log.list(3, page[4].id);
    assert.deepEqual(next.map((entry) => entry.id), ['1995', '1994', '1993']);

    const plan = await planStatement(db.pool, ALL_TENANTS, first);
    const nodes = planNodes(plan);
    assert.ok(!nodes.some((node) => node['Node Type'] === 'Sort'), summary(plan));
    const [scan] = scansOf(plan, 'audit_log');
    assert.equal(describeNode(scan), 'Index Scan audit_log audit_log_pkey', summary(plan));
    assert.equal(scan['Scan Direction'], 'Backward');
    assert.equal(scan['Actual Rows'], 5, 'reads the page, not the table');
  });

  test("a tenant's conversations are read through its own index, not by skipping other tenants'", async () => {
    const conversations = new ConversationsRepository(db.pool);
    // 3,000 conversations of a large tenant, one in a hundred of a small one, continued over 90 days.
    await db.owner.query(
      `INSERT INTO conversations (id, tenant, title, created_at, updated_at)
       SELECT gen_random_uuid(), CASE WHEN i % 100 = 0 THEN 'small' ELSE 'large' END, 'c' || i,
              now() - (3030 - i) * interval '43 minutes', now() - (3030 - i) * interval '43 minutes'
       FROM generate_series(1, 3030) i`,
    );
    await db.owner.query('ANALYZE conversations');

    let page: Awaited<ReturnType<ConversationsRepository['list']>> = [];
    const [first] = await captureStatements(/FROM conversations c/, async () => (page = await conversations.list('small', 20)));
    assert.equal(page.length, 20);
    assert.ok(page.every(({ conversation }) => conversation.tenant === 'small'));
    const [second] = await captureStatements(/FROM conversations c/, () => conversations.list('small', 20, page[19].position));

    for (const statement of [first, second]) {
      const plan = await planStatement(db.pool, 'small', statement);
      // The turn counts look each turn's conversation up by its key (the turns' policy): not the listing's scan.
      const listing = planNodes(plan).filter((node) => /conversations/.test(describeNode(node)) && node['Index Name'] !== 'conversations_pkey');
      // Before: conversations_updated_idx, dropping the large tenant's rows until 20 of the small one's were found.
      assert.ok(listing.every((node) => node['Index Name'] === 'conversations_tenant_updated_idx' || node['Node Type'] === 'Bitmap Heap Scan'), summary(plan));
      assert.ok(listing.some((node) => node['Index Name'] === 'conversations_tenant_updated_idx'), summary(plan));
      assert.ok(listing.every((node) => (node['Rows Removed by Filter'] ?? 0) === 0), summary(plan));
    }
    // An admin's list (every tenant) still pages through all of them, newest first.
    const all = await conversations.list(ALL_TENANTS, 5);
    assert.deepEqual(all.map(({ conversation }) => conversation.title), ['c3030', 'c3029', 'c3028', 'c3027', 'c3026']);
  });

  test('documents ready in a window are found by when they finished, not by reading every document (migration 0025)', async () => {
    const documents = new DocumentsRepository(db.pool);
    const usage = new TenantUsageRepository(db.pool);
    const collection = await new CollectionsRepository(db.pool).getOrCreate('default', 'finished', 'test', 8);
    // 3,000 documents over 90 days, in the order ingestion finishes them: nearly all ready, 20 in the last hour.
    await db.owner.query(
      `INSERT INTO blobs (sha256, size, backend) SELECT md5(i::text) || md5('b' || i), 1000, 'local' FROM generate_series(1, 3000) i`,
    );
    await db.owner.query(
      `INSERT INTO documents (id, collection_id, title, media_type, blob_sha256, byte_size, chunk_tokens, chunk_overlap, job_id,
                              tenant, status, stage, pages_total, created_at, started_at, finished_at)
       SELECT gen_random_uuid(), $1, 'd' || i, 'text/plain', md5(i::text) || md5('b' || i), 1000, 500, 0, 'ingest-' || i, 'default',
              CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'ready' END, CASE WHEN i % 20 = 0 THEN 'extract' ELSE 'done' END, 2,
              f - interval '1 minute', f - interval '1 minute', f
       FROM generate_series(1, 3000) i, LATERAL (SELECT CASE WHEN i > 2979 THEN now() - (3000 - i) * interval '2 minutes'
                                                            ELSE now() - interval '2 hours' - (2979 - i) * interval '43 minutes' END AS f) t`,
      [collection.id],
    );
    const since = new Date(Date.now() - 3600_000);
    const { rows: [{ recent }] } = await db.owner.query<{ recent: number }>(
      `SELECT count(*)::int AS recent FROM documents WHERE status = 'ready' AND finished_at >= $1`, [since]);
    const today = new Date(new Date().toISOString().slice(0, 10));
    const statements = () =>
      captureStatements(/finished_at >= \$1/, async () => {
        const buckets = await documents.finishedPerBucket(ALL_TENANTS, since, 300);
        assert.equal(buckets.reduce((sum, bucket) => sum + bucket.documents, 0), recent);
        const days = await usage.dailyIngestion(ALL_TENANTS, new Date(today.getTime() - 6 * 86_400_000), new Date(today.getTime() + 86_400_000), { limit: 1000 });
        assert.ok(days.length > 0);
      });
    const documentScans = async () =>
      Promise.all((await statements()).map(async (statement) => scansOf(await planStatement(db.pool, ALL_TENANTS, statement), 'documents').map(describeNode)));

    // The database as it was before 0025, analysed: statistics say nearly every document is ready.
    await withoutMigration0025();
    assert.deepEqual(await documentScans(), [['Seq Scan documents'], ['Seq Scan documents']], 'the data must lead the planner to the table');

    await applyMigration0025();
    for (const scans of await documentScans()) {
      assert.equal(scans.length, 1);
      assert.match(scans[0], /^(Bitmap Heap Scan|Index Scan) documents/);
    }
    const plans = await Promise.all((await statements()).map((statement) => planStatement(db.pool, ALL_TENANTS, statement)));
    for (const plan of plans) assert.ok(planNodes(plan).some((node) => node['Index Name'] === 'documents_ready_finished_idx'), summary(plan));
  });

  test("a tenant's documents of one status are listed from an index in that order, not gathered from every tenant (migration 0025)", async () => {
    const documents = new DocumentsRepository(db.pool);
    const collections = new CollectionsRepository(db.pool);
    const large = await collections.getOrCreate('large', 'docs', 'test', 8);
    const small = await collections.getOrCreate('small', 'docs', 'test', 8);
    // 3,000 documents of a large tenant and 100 of a small one over 90 days, one in twenty failed; in upload order.
    await db.owner.query(
      `INSERT INTO blobs (sha256, size, backend) SELECT md5(i::text) || md5('l' || i), 1000, 'local' FROM generate_series(1, 3100) i`,
    );
    await db.owner.query(
      `INSERT INTO documents (id, collection_id, title, media_type, blob_sha256, byte_size, chunk_tokens, chunk_overlap, job_id,
                              tenant, status, stage, created_at)
       SELECT gen_random_uuid(), CASE WHEN i % 31 = 0 THEN $2::uuid ELSE $1::uuid END, 'l' || i, 'text/plain', md5(i::text) || md5('l' || i),
              1000, 500, 0, 'ingest-l' || i, CASE WHEN i % 31 = 0 THEN 'small' ELSE 'large' END,
              CASE WHEN i % 20 = 7 THEN 'failed' ELSE 'ready' END, CASE WHEN i % 20 = 7 THEN 'extract' ELSE 'done' END,
              now() - (3100 - i) * interval '42 minutes'
       FROM generate_series(1, 3100) i`,
      [large.id, small.id],
    );
    const { rows: [{ failed }] } = await db.owner.query<{ failed: number }>(
      `SELECT count(*)::int AS failed FROM documents WHERE tenant = 'small' AND status = 'failed'`);
    const statements = () =>
      captureStatements(/FROM documents d JOIN collections c/, async () => {
        const page = await documents.list({ tenant: 'small', status: 'failed', limit: 20 });
        assert.equal(page.length, failed);
        assert.ok(page.every(({ document }) => document.status === 'failed'));
      });
    const documentScans = async () => {
      const [statement] = await statements();
      return planNodes(await planStatement(db.pool, 'small', statement)).filter((node) => /documents/.test(describeNode(node)));
    };

    await withoutMigration0025();
    // Rows and index entries the scans of documents read (plus those they dropped), against the page they return.
    const read = (nodes: PlanNode[]) =>
      nodes.reduce((sum, node) => sum + ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1), 0);
    const before = await documentScans();
    // Every tenant's failed documents, or the tenant's documents of every status (here both, ANDed).
    assert.ok(read(before) > 10 * failed, before.map(describeNode).join(' / '));

    await applyMigration0025();
    const after = await documentScans();
    assert.deepEqual(after.map(describeNode), ['Index Scan documents documents_tenant_status_created_idx'], after.map(describeNode).join(' / '));
    assert.equal(read(after), failed, 'reads the tenant\'s documents of that status, and no others');
  });
});
