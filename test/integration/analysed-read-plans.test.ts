import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_TENANTS,
  AuditLogRepository,
  ConversationsRepository,
} from '@app/database';
import { captureStatements, describeNode, PlanNode, planNodes, planStatement } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';

// Read statements planned as a real server plans them: autovacuum analyses every table, and a plan made with
// statistics can differ from the one a never-analysed test database gets. Each test fills a table the way it
// fills in production (rows in the order they are written), runs ANALYZE, and explains the statement the
// repository sent, as the application runs it (its role, its tenant, row-level security).
describe('read statements on an analysed database (real PostgreSQL)', () => {
  const db = useDatabase();

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
    assert.ok(page.every((conversation) => conversation.tenant === 'small'));
    const [second] = await captureStatements(/FROM conversations c/, () =>
      conversations.list('small', 20, { updatedAt: page[19].updatedAt, id: page[19].id }));

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
    assert.deepEqual(all.map((conversation) => conversation.title), ['c3030', 'c3029', 'c3028', 'c3027', 'c3026']);
  });
});
