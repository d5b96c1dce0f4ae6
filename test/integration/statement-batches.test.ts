import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CollectionsRepository, inlineParameters, tenantQuery, tenantStatement, withTenantBatched } from '@app/database';
import { countingRoundTrips } from '../support/round-trips';
import { useDatabase } from '../support/test-env';

describe('statements several to a round trip: inlined parameters, batched transactions, one-trip tenant statements', () => {
  // One connection, so a setting left behind would show on the next statement.
  const db = useDatabase({ max: 1 });

  test('an inlined value reads back exactly as the same value sent as a parameter', async () => {
    const sql = 'SELECT $1::text AS a, $2::int AS b, $3::float8 AS c, $4::text[] AS d, $5::bigint[] AS e, $6::boolean AS f, $7::timestamptz AS g, $8::jsonb AS h, $9::text AS i';
    const params = [
      `it's a "quote", a back\\slash, ünïcödé, {braces}, $1`,
      -42,
      0.1 + 0.2,
      ['a,b', '{c}', 'd"e', 'f\\g', null, ''],
      ['1', '9007199254740993'],
      false,
      new Date('2026-12-06T04:05:06.789Z'),
      JSON.stringify({ k: ["it's", 1.5] }),
      null,
    ];
    const asParameters = await tenantQuery(db.pool, 'default', sql, params);
    const inlined = await tenantQuery(db.pool, 'default', inlineParameters(sql, params));
    assert.deepEqual(inlined.rows, asParameters.rows);
  });

  test('a batched transaction sends BEGIN and the statements asked for together in one round trip, as the tenant', async () => {
    const collections = new CollectionsRepository(db.pool);
    await collections.getOrCreate('acme', 'batched-a', 'local-hash-v2', 8);
    await collections.getOrCreate('globex', 'batched-b', 'local-hash-v2', 8);
    const { result, roundTrips } = await countingRoundTrips(() =>
      withTenantBatched(db.pool, 'acme', async (sql) => {
        const [names, tenant] = await Promise.all([
          sql.query<{ name: string }>('SELECT name FROM collections WHERE name LIKE $1 ORDER BY name', ['batched-%']),
          sql.query<{ tenant: string }>("SELECT current_setting('groundwork.tenant') AS tenant"),
        ]);
        return { names: names.rows.map((row) => row.name), tenant: tenant.rows[0].tenant };
      }, { modes: 'READ ONLY' }),
    );
    // Row-level security saw the tenant: the other tenant's collection is not there.
    assert.deepEqual(result, { names: ['batched-a'], tenant: 'acme' });
    assert.equal(roundTrips, 2, 'BEGIN with both statements, then COMMIT');
    const after = await db.pool.query("SELECT current_setting('groundwork.tenant', true) AS tenant, now() = statement_timestamp() AS outside");
    assert.deepEqual(after.rows[0], { tenant: '', outside: true });
  });

  test('a prepared statement goes after the inlined ones of its turn, in the transaction, parsed once per connection', async () => {
    const sql = "SELECT $1::int + 1 AS n, current_setting('groundwork.tenant') AS tenant, current_setting('work_mem') AS work_mem";
    const run = (n: number) =>
      countingRoundTrips(() =>
        withTenantBatched(db.pool, 'acme', async (batch) => {
          // Asked first, it still runs after the setting asked in the same turn.
          const [prepared] = await Promise.all([batch.queryPrepared<{ n: number; tenant: string; work_mem: string }>(sql, [n]), batch.query("SET LOCAL work_mem = '7MB'")]);
          return prepared.rows[0];
        }),
      );
    const first = await run(1);
    const second = await run(41);
    assert.deepEqual([first.result, second.result], [{ n: 2, tenant: 'acme', work_mem: '7MB' }, { n: 42, tenant: 'acme', work_mem: '7MB' }]);
    // BEGIN with the setting, the prepared statement, COMMIT.
    assert.deepEqual([first.roundTrips, second.roundTrips], [3, 3]);
    const prepared = await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_prepared_statements WHERE statement = $1', [sql]);
    assert.equal(prepared.rows[0].count, 1, 'prepared once on the one connection');
  });

  test('a failing statement fails its batch and the transaction rolls back; a transaction that asks for nothing sends nothing', async () => {
    await assert.rejects(
      withTenantBatched(db.pool, 'acme', (sql) => Promise.all([sql.query('SELECT 1'), sql.query('SELECT 1 / 0')])),
      /division by zero/,
    );
    const after = await db.pool.query("SELECT current_setting('groundwork.tenant', true) AS tenant, now() = statement_timestamp() AS outside");
    assert.deepEqual(after.rows[0], { tenant: '', outside: true });
    const { roundTrips } = await countingRoundTrips(() => withTenantBatched(db.pool, 'acme', async () => 'nothing'));
    assert.equal(roundTrips, 0);
  });

  test('a tenant statement is one round trip, sees only its tenant, and leaves no setting behind, even when it fails', async () => {
    const { result, roundTrips } = await countingRoundTrips(() =>
      tenantStatement<{ name: string }>(db.pool, 'globex', 'SELECT name FROM collections WHERE name LIKE $1', ['batched-%']),
    );
    assert.deepEqual(result.rows.map((row) => row.name), ['batched-b']);
    assert.equal(roundTrips, 1);
    await assert.rejects(tenantStatement(db.pool, 'globex', 'SELECT 1 / $1::int', [0]), /division by zero/);
    // Empty, or never defined on this connection (null): either way no tenant.
    const after = await db.pool.query("SELECT coalesce(current_setting('groundwork.tenant', true), '') AS tenant");
    assert.equal(after.rows[0].tenant, '');
  });
});
