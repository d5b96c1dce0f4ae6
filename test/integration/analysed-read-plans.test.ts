import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_TENANTS,
  AuditLogRepository,
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
});
