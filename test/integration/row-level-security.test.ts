import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  ALL_TENANTS,
  ChunksRepository,
  Collection,
  CollectionsRepository,
  ConversationsRepository,
  createPool,
  DeletionJobsRepository,
  DocumentsRepository,
  PagesRepository,
  QueryFeedbackRepository,
  QueryLogsRepository,
  tenantQuery,
  withTenant,
} from '@app/database';
import { partitionsOf, vectorIndexScans } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';
import { createTestDocument, finishTestAttempt, startTestAttempt } from '../support/test-documents';

const DIMENSION = 8;

/**
 * Every tenant-owned table, with an expression naming each row and a condition (over the owner's unfiltered view)
 * for the rows that belong to the tenant `$1`.
 */
const TENANT_TABLES = [
  { table: 'collections', key: 'id::text', owned: 'tenant = $1' },
  { table: 'documents', key: 'id::text', owned: 'tenant = $1' },
  { table: 'document_pages', key: "document_id || ':' || page_number", owned: 'document_id IN (SELECT id FROM documents WHERE tenant = $1)' },
  { table: 'chunks', key: 'id::text', owned: 'collection_id IN (SELECT id FROM collections WHERE tenant = $1)' },
  { table: 'chunk_vectors', key: 'chunk_id::text', owned: 'collection_id IN (SELECT id FROM collections WHERE tenant = $1)' },
  { table: 'query_logs', key: 'id::text', owned: 'tenant = $1' },
  { table: 'bm25_collection_stats', key: 'collection_id::text', owned: 'collection_id IN (SELECT id FROM collections WHERE tenant = $1)' },
  { table: 'bm25_lexeme_stats', key: "collection_id || ':' || lexeme", owned: 'collection_id IN (SELECT id FROM collections WHERE tenant = $1)' },
  { table: 'conversations', key: 'id::text', owned: 'tenant = $1' },
  { table: 'conversation_turns', key: "conversation_id || ':' || turn", owned: 'conversation_id IN (SELECT id FROM conversations WHERE tenant = $1)' },
  { table: 'query_feedback', key: 'query_id::text', owned: 'tenant = $1' },
  { table: 'deletion_jobs', key: 'id', owned: 'tenant = $1' },
];

const isPolicyViolation = (error: unknown) => (error as { code?: string }).code === '42501' && /row-level security/.test((error as Error).message);

/** A unit vector along one axis, so each tenant's chunks point their own way. */
const axis = (i: number) => Float32Array.from({ length: DIMENSION }, (_, j) => (j === i ? 1 : 0));

describe('row-level security: the second wall behind the tenant-scoped repositories', () => {
  // db.pool runs as groundwork_app, so the policies apply; db.owner (a superuser here) sees everything, to
  // check what the application role saw.
  const db = useDatabase();
  const seeded = new Map<string, { collection: Collection; documentId: string }>();

  before(async () => {
    const collections = new CollectionsRepository(db.pool);
    const pages = new PagesRepository(db.pool);
    const chunks = new ChunksRepository(db.pool);
    const queryLogs = new QueryLogsRepository(db.pool);
    await chunks.ensureVectorIndex(DIMENSION);
    for (const [i, tenant] of ['acme', 'globex'].entries()) {
      // Same collection name in both tenants, the way the API allows it.
      const collection = await collections.getOrCreate(tenant, 'handbook', 'test', DIMENSION);
      const documentId = randomUUID();
      await createTestDocument(db.pool, {
        id: documentId, tenant, collectionId: collection.id, title: `${tenant} handbook`,
      });
      const attempt = await startTestAttempt(db.pool, tenant, documentId);
      await pages.saveWindow(attempt, [{ pageNumber: 1, text: `${tenant} parking rules` }, { pageNumber: 2, text: `${tenant} holidays` }]);
      await chunks.upsertMany(attempt, collection.id, [0, 1, 2].map((ordinal) => ({
        ordinal, text: `${tenant} parking is free on page ${ordinal}`, pageStart: 1, pageEnd: 1, tokenCount: 8, embedding: axis(i),
      })));
      await finishTestAttempt(db.pool, attempt, 2, 3);
      const queryId = randomUUID();
      await queryLogs.insert({
        queryId, apiKeyId: null, citedSources: [],
        tenant, collectionId: collection.id, queryText: `where does ${tenant} park?`, mode: 'hybrid', topK: 5, sourceCount: 3,
        model: null, promptTokens: 0, completionTokens: 0, costUsd: null, cacheHit: null, retrievalMs: 1, generationMs: 1,
        totalMs: 2, streamed: false, outcome: 'answered', errorCode: null, queryFlagged: false, flaggedChunks: 0,
      });
      assert.ok(await new QueryFeedbackRepository(db.pool).record(tenant, { queryId, rating: 'down', comment: null, apiKeyId: null }));
      await new DeletionJobsRepository(db.pool).createForDocuments(tenant, collection, { lang: 'xx' }, { kind: 'equals', field: 'lang', value: 'xx', negated: false });
      const conversations = new ConversationsRepository(db.pool);
      const conversation = await conversations.create(tenant, randomUUID(), `${tenant} questions`);
      await conversations.appendTurn(tenant, conversation.id, {
        collection: 'handbook', question: 'parking?', searchQuery: 'parking?', answer: `${tenant} parking is free`, citations: [], queryId,
      });
      seeded.set(tenant, { collection, documentId });
    }
  });

  test('the application runs as a role that row-level security binds, on every tenant-owned table', async () => {
    const { rows: [me] } = await db.pool.query('SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user');
    assert.deepEqual(me, { role: 'groundwork_app', rolsuper: false, rolbypassrls: false });
    // Any table that names a tenant, collection, document or conversation is tenant-owned: a new one without policies
    // fails here. A partitioned table counts once; its partitions are reached only through it (checked below).
    const { rows } = await db.owner.query<{ table: string; enabled: boolean; forced: boolean; policies: number }>(
      `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
              (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         AND c.relname NOT IN ('api_keys', 'audit_log')
         AND EXISTS (SELECT 1 FROM information_schema.columns col
                     WHERE col.table_schema = 'public' AND col.table_name = c.relname
                       AND col.column_name IN ('tenant', 'collection_id', 'document_id', 'conversation_id'))
       ORDER BY 1`,
    );
    assert.deepEqual(rows.map((row) => row.table), TENANT_TABLES.map((t) => t.table).sort());
    for (const row of rows) assert.deepEqual(row, { table: row.table, enabled: true, forced: true, policies: 1 });
    // A partition has no policy of its own, so the application must not be able to name it.
    const partitions = await partitionsOf(db.owner, 'chunk_vectors');
    assert.equal(partitions.length, 16);
    for (const name of partitions) {
      await assert.rejects(tenantQuery(db.pool, 'acme', `SELECT 1 FROM ${name}`), { code: '42501' }, name);
    }
  });

  test("with a tenant set, a query without any WHERE returns that tenant's rows and no other's", async () => {
    for (const tenant of ['acme', 'globex']) {
      for (const { table, key, owned } of TENANT_TABLES) {
        const { rows: seen } = await tenantQuery<{ key: string }>(db.pool, tenant, `SELECT ${key} AS key FROM ${table}`);
        const { rows: expected } = await db.owner.query<{ key: string }>(`SELECT ${key} AS key FROM ${table} WHERE ${owned}`, [tenant]);
        const { rows: [{ total }] } = await db.owner.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${table}`);
        assert.ok(expected.length > 0 && expected.length < total, `${table}: both tenants have rows`);
        assert.deepEqual(seen.map((r) => r.key).sort(), expected.map((r) => r.key).sort(), `${table} as ${tenant}`);
      }
    }
  });

  test('with no tenant set, nothing is visible: not before any transaction, nor after one has ended', async () => {
    const single = createPool(db.env.config.databaseUrl, { max: 1 });
    try {
      for (const { table } of TENANT_TABLES) {
        assert.equal((await single.query(`SELECT * FROM ${table}`)).rowCount, 0, `${table}, never set`);
      }
      // The same connection again, once a tenant's transaction has set and then dropped its SET LOCAL.
      assert.ok((await tenantQuery(single, 'acme', 'SELECT * FROM chunks')).rowCount! > 0);
      for (const { table } of TENANT_TABLES) {
        assert.equal((await single.query(`SELECT * FROM ${table}`)).rowCount, 0, `${table}, after a tenant's transaction`);
      }
    } finally {
      await single.end();
    }
  });

  test('ALL_TENANTS (admin keys, system work) sees every tenant', async () => {
    for (const { table } of TENANT_TABLES) {
      const { rows: [{ total }] } = await db.owner.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${table}`);
      const { rows: [{ seen }] } = await tenantQuery<{ seen: number }>(db.pool, ALL_TENANTS, `SELECT count(*)::int AS seen FROM ${table}`);
      assert.equal(seen, total, table);
    }
  });

  test("another tenant's rows cannot be written, nor a tenant's own rows given away", async () => {
    const acme = seeded.get('acme')!;
    const globex = seeded.get('globex')!;
    const attempts: Record<string, [string, unknown[]]> = {
      'a collection': ["INSERT INTO collections (tenant, name, embedding_model, embedding_dim) VALUES ('globex', 'planted', 'test', 8)", []],
      'a document': [
        `INSERT INTO documents (id, tenant, collection_id, title, media_type, blob_sha256, byte_size, chunk_tokens, chunk_overlap, job_id)
         VALUES ($1, 'globex', $2, 'planted', 'text/plain', 'x', 0, 500, 0, $3)`,
        [randomUUID(), globex.collection.id, `planted-${randomUUID()}`],
      ],
      'a page': ['INSERT INTO document_pages (document_id, page_number, text) VALUES ($1, 99, $2)', [globex.documentId, 'planted']],
      // Attached to acme's own document, but in globex's collection: what search would return to globex.
      'a chunk': [
        `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
         VALUES ($1, $2, 99, 'planted', 1, 1, 1, $3::vector, 8)`,
        [acme.documentId, globex.collection.id, `[${axis(0).join(',')}]`],
      ],
      'a query log': ["INSERT INTO query_logs (tenant, query_text, mode, top_k, outcome) VALUES ('globex', 'planted', 'hybrid', 5, 'answered')", []],
      'a rating': ["INSERT INTO query_feedback (query_id, tenant, rating) SELECT query_id, 'globex', 'up' FROM query_logs LIMIT 1", []],
      'a deletion job': [
        "INSERT INTO deletion_jobs (id, tenant, kind, collection_id, collection_name) VALUES ('delete-planted', 'globex', 'collection', $1, 'handbook')",
        [globex.collection.id],
      ],
      'a document moved to another tenant': ["UPDATE documents SET tenant = 'globex' WHERE id = $1", [acme.documentId]],
      'chunks moved to another collection': ['UPDATE chunks SET collection_id = $1 WHERE document_id = $2', [globex.collection.id, acme.documentId]],
    };
    for (const [what, [sql, params]] of Object.entries(attempts)) {
      await assert.rejects(tenantQuery(db.pool, 'acme', sql, params), isPolicyViolation, what);
    }
    // Statements without a WHERE touch only the tenant's own rows.
    const { rowCount: updated } = await tenantQuery(db.pool, 'acme', "UPDATE documents SET title = title || ''");
    assert.equal(updated, 1);
    const { rowCount: deleted } = await tenantQuery(db.pool, 'acme', 'DELETE FROM query_logs');
    assert.equal(deleted, 1);
    const { rows: [{ left }] } = await db.owner.query<{ left: number }>("SELECT count(*)::int AS left FROM query_logs WHERE tenant = 'globex'");
    assert.equal(left, 1, "globex's log survives acme's DELETE without WHERE");
  });

  test("the repositories cannot reach another tenant's rows even when handed their ids", async () => {
    const acme = seeded.get('acme')!;
    const globex = seeded.get('globex')!;
    const chunks = new ChunksRepository(db.pool);
    const documents = new DocumentsRepository(db.pool);
    const pages = new PagesRepository(db.pool);
    // As if a caller had resolved the wrong collection: the repository's own WHERE would let these through.
    const wrong = { tenant: 'acme', collectionId: globex.collection.id, limit: 10 };
    assert.deepEqual(await chunks.searchKeyword(wrong, 'parking'), []);
    assert.deepEqual(await chunks.searchVector(wrong, axis(1)), []);
    assert.equal((await chunks.searchKeyword({ ...wrong, tenant: 'globex' }, 'parking')).length, 3);
    assert.equal((await chunks.searchVector({ ...wrong, tenant: 'globex' }, axis(1))).length, 3);
    assert.equal(await documents.findById('acme', globex.documentId), null);
    assert.deepEqual(await pages.readWindow('acme', globex.documentId, { after: 0, through: 10, limit: 10 }), []);
    assert.equal(await chunks.maxOrdinal('acme', globex.documentId), -1);
    assert.notEqual(await documents.findById('acme', acme.documentId), null);
  });

  test('keyword and vector search keep their indexes under row-level security', async () => {
    const { collection } = seeded.get('acme')!;
    const plan = (sql: string, params: unknown[]) =>
      withTenant(db.pool, 'acme', async (client) => {
        // The tables are tiny: make any other plan look ruinous, so the only question is whether the index may be used.
        await client.query('SET LOCAL enable_seqscan = off');
        await client.query('SET LOCAL enable_sort = off');
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    // A non-LEAKPROOF function in the condition would forbid the GIN index and scan every tenant's chunks.
    const keyword = await plan('SELECT id FROM chunks WHERE bm25_collection_terms(collection_id, tsv) @@ $1::tsquery', [`'${collection.id} park'`]);
    assert.match(keyword, /Index Scan on chunks_bm25_terms_idx/);
    const vector = await plan(
      `SELECT chunk_id FROM chunk_vectors WHERE collection_id = $1 AND embedding_dim = ${DIMENSION}
       ORDER BY embedding::halfvec(${DIMENSION}) <=> $2::halfvec(${DIMENSION}) LIMIT 3`,
      [collection.id, `[${axis(0).join(',')}]`],
    );
    assert.deepEqual((await vectorIndexScans(db.owner, vector, DIMENSION)).map((scan) => scan.ofDimension), [true], vector);
  });

  test('modes and settings sent with BEGIN hold for that transaction only, and cannot replace the tenant', async () => {
    const seen = await withTenant(
      db.pool,
      'acme',
      async (client) => {
        const { rows } = await client.query<{ isolation: string; read_only: string; jit: string; tenant: string; visible: string }>(
          `SELECT current_setting('transaction_isolation') AS isolation, current_setting('transaction_read_only') AS read_only,
                  current_setting('jit') AS jit, current_setting('groundwork.tenant') AS tenant,
                  (SELECT string_agg(DISTINCT tenant, ',') FROM collections) AS visible`,
        );
        return rows[0];
      },
      { modes: 'ISOLATION LEVEL REPEATABLE READ, READ ONLY', settings: { jit: 'off', 'groundwork.tenant': '*' } },
    );
    assert.deepEqual(seen, { isolation: 'repeatable read', read_only: 'on', jit: 'off', tenant: 'acme', visible: 'acme' });
    // A quote in a value stays inside its literal; a name that is not a plain setting name never reaches SQL.
    await assert.rejects(withTenant(db.pool, 'acme', async () => undefined, { settings: { 'jit = on; RESET ROLE; --': 'off' } }), /not a setting name/);
    const quoted = await withTenant(db.pool, 'acme', async (client) => (await client.query<{ v: string }>("SELECT current_setting('application_name') AS v")).rows[0].v, {
      settings: { application_name: "it's" },
    });
    assert.equal(quoted, "it's");
    // After the transaction, the pooled connection has its defaults again.
    const after = await db.pool.query<{ isolation: string }>("SELECT current_setting('transaction_isolation') AS isolation");
    assert.notEqual(after.rows[0].isolation, 'repeatable read');
  });

  test('a scope that is not a tenant name is refused before it reaches PostgreSQL', async () => {
    await assert.rejects(tenantQuery(db.pool, '*', 'SELECT 1'), /not a tenant name/);
    await assert.rejects(tenantQuery(db.pool, '', 'SELECT 1'), /not a tenant name/);
  });
});
