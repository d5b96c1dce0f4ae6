import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runMigrations } from '@app/database';
import { useDatabase } from '../support/test-env';

/**
 * A database restored from a dump of a release before 0022 lacks the keyword index (its expression's function
 * called another without naming the schema, and pg_restore runs with an empty search_path); found by an upgrade
 * audit that backed up an old release, restored it and started the current one: 0023 stopped every start.
 */
describe('migrations on a database restored without its keyword index', () => {
  const db = useDatabase();

  test('0023 builds the missing index instead of failing, and the api can start', async () => {
    await db.owner.query('DROP INDEX chunks_bm25_terms_idx');
    // As if 0023 had not run yet on the restored database (the migrations after it are recorded and stay so).
    await db.owner.query("DELETE FROM schema_migrations WHERE name = '0023_bm25_index_without_statistics.sql'");
    assert.deepEqual(await runMigrations(db.owner), ['0023_bm25_index_without_statistics.sql']);
    const { rows } = await db.owner.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_bm25_terms_idx'");
    assert.match(rows[0]?.indexdef ?? '', /bm25_collection_terms\(collection_id, tsv\)/);
  });
});
