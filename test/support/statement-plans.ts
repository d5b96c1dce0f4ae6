import { Pool } from 'pg';
import { TenantScope, withTenant } from '@app/database';
import { watchingQueries } from './round-trips';

/** A statement as a repository sent it: its text and parameters. */
export interface SentStatement {
  text: string;
  values: unknown[];
}

/**
 * The statements `work` sends whose text matches `pattern` (every client of the process is watched, so `work`
 * should be the only thing running). They are sent unchanged; planStatement explains them afterwards.
 */
export async function captureStatements(pattern: RegExp, work: () => Promise<unknown>): Promise<SentStatement[]> {
  const sent: SentStatement[] = [];
  await watchingQueries((args) => {
    const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof first === 'string' ? first : first?.text;
    if (typeof text === 'string' && pattern.test(text)) {
      sent.push({ text, values: Array.isArray(second) ? second : (typeof first === 'object' && first.values) || [] });
    }
  }, work);
  return sent;
}

/** A plan node as EXPLAIN (FORMAT JSON) gives it, the fields the tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  /** Partitions an Append or Merge Append pruned when it started (a generic plan's run-time pruning). */
  'Subplans Removed'?: number;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** A node as one line: its type, relation and index ("Index Scan audit_log audit_log_pkey"). */
export const describeNode = (node: PlanNode): string =>
  [node['Node Type'], node['Relation Name'], node['Index Name']].filter(Boolean).join(' ');

/**
 * The plan of `statement` run as the application runs it: as the application role, in a transaction scoped to
 * `scope` (row-level security applies), with its parameters, analysed (the statement runs; use it for reads).
 */
export async function planStatement(pool: Pool, scope: TenantScope, statement: SentStatement): Promise<PlanNode> {
  return withTenant(pool, scope, async (client) => {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`, statement.values);
    return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
  });
}

/**
 * The vector indexes a text plan scans (one line per scan), each with whether it is a partition's part of
 * `chunk_vectors_hnsw_<dimension>`: chunk_vectors is partitioned by collection (migration 0027), and PostgreSQL
 * names each partition's index itself (chunk_vectors_12_embedding_idx). A list pruned to its collection's
 * partition scans exactly one.
 */
export async function vectorIndexScans(owner: Pool, plan: string, dimension: number): Promise<{ index: string; ofDimension: boolean }[]> {
  const parts = new Set(await partitionsOf(owner, `chunk_vectors_hnsw_${dimension}`));
  return [...plan.matchAll(/Index Scan using (\S+) on chunk_vectors_\d+/g)].map(([, index]) => ({ index, ofDimension: parts.has(index) }));
}

/** The names of a partitioned table's partitions, or a partitioned index's per-partition indexes. */
export async function partitionsOf(owner: Pool, parent: string): Promise<string[]> {
  const { rows } = await owner.query<{ name: string }>(
    'SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass',
    [parent],
  );
  return rows.map((row) => row.name);
}
