/**
 * Indexes another index already covers (pgHero's duplicate indexes): a btree whose key columns
 * are a leading prefix of another btree's on the same table, with the same predicate. The longer
 * index answers every query the shorter one does, so the shorter one only costs writes.
 */
import type { DbCheckModule } from '../check.js';
import { bytes, plural } from '../verdict.js';

export interface IndexDefinition {
  schema: string;
  table: string;
  index: string;
  method: string;
  unique: boolean;
  primary: boolean;
  valid: boolean;
  /** The WHERE of a partial index, as pg_get_expr prints it; null for a whole-table index. */
  predicate: string | null;
  keyColumns: string[];
  includeColumns: string[];
  sizeBytes: number;
}

export interface DuplicateIndex {
  index: IndexDefinition;
  coveredBy: IndexDefinition;
}

/** Primary keys rank above unique indexes above plain ones: of two identical indexes, the lower-ranked is the duplicate. */
function rank(index: IndexDefinition): number {
  return index.primary ? 2 : index.unique ? 1 : 0;
}

function startsWith(columns: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= columns.length && prefix.every((column, position) => columns[position] === column);
}

/** Whether `other` serves every query `index` serves, and every constraint it enforces. */
function covers(other: IndexDefinition, index: IndexDefinition): boolean {
  if (other === index || other.schema !== index.schema || other.table !== index.table) return false;
  if (other.method !== 'btree' || index.method !== 'btree' || !other.valid || other.predicate !== index.predicate) return false;
  if (!startsWith(other.keyColumns, index.keyColumns)) return false;
  const otherColumns = new Set([...other.keyColumns, ...other.includeColumns]);
  if (!index.includeColumns.every((column) => otherColumns.has(column))) return false;
  // A unique index enforces uniqueness of exactly its columns: only a unique index on the same columns replaces it.
  if (index.unique && !(other.unique && other.keyColumns.length === index.keyColumns.length)) return false;
  return true;
}

/** Each index covered by another, once; of two identical indexes only one is reported. */
export function findDuplicateIndexes(indexes: readonly IndexDefinition[]): DuplicateIndex[] {
  const duplicates: DuplicateIndex[] = [];
  for (const index of indexes) {
    if (index.primary) continue;
    const coveredBy = indexes.find((other) => {
      if (!covers(other, index)) return false;
      if (!covers(index, other)) return true;
      return rank(index) < rank(other) || (rank(index) === rank(other) && index.index > other.index);
    });
    if (coveredBy) duplicates.push({ index, coveredBy });
  }
  return duplicates.sort((a, b) => b.index.sizeBytes - a.index.sizeBytes || a.index.index.localeCompare(b.index.index));
}

const SQL = `
SELECT n.nspname AS schema,
       t.relname AS table,
       c.relname AS index,
       am.amname AS method,
       i.indisunique AS unique,
       i.indisprimary AS primary,
       i.indisvalid AS valid,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts::int) AS k ORDER BY k) AS "keyColumns",
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(i.indnkeyatts::int + 1, i.indnatts::int) AS k ORDER BY k) AS "includeColumns",
       pg_relation_size(i.indexrelid)::float8 AS "sizeBytes"
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_class AS t ON t.oid = i.indrelid
JOIN pg_namespace AS n ON n.oid = t.relnamespace
JOIN pg_am AS am ON am.oid = c.relam
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'`;

export const duplicateIndexes: DbCheckModule = {
  id: 'duplicate-indexes',
  title: 'Duplicate indexes',
  async run(db) {
    const indexes = await db.query<IndexDefinition>(SQL);
    const duplicates = findDuplicateIndexes(indexes);
    const total = duplicates.reduce((sum, duplicate) => sum + duplicate.index.sizeBytes, 0);
    return {
      status: duplicates.length > 0 ? 'warn' : 'ok',
      summary:
        duplicates.length > 0
          ? `${plural(duplicates.length, 'index', 'indexes')} covered by another: ${duplicates
              .slice(0, 3)
              .map((duplicate) => `${duplicate.index.index} by ${duplicate.coveredBy.index}`)
              .join(', ')}${duplicates.length > 3 ? ', …' : ''} (${bytes(total)})`
          : `no index covered by another (${plural(indexes.length, 'index', 'indexes')} compared)`,
      numbers: { count: duplicates.length, bytes: total, indexes: indexes.length },
      rows: duplicates.map(({ index, coveredBy }) => ({
        schema: index.schema,
        table: index.table,
        index: index.index,
        columns: columnList(index),
        covered_by: coveredBy.index,
        covered_by_columns: columnList(coveredBy),
        size_bytes: index.sizeBytes,
      })),
    };
  },
};

/** Key columns, then the INCLUDE ones marked `+`. */
function columnList(index: IndexDefinition): string {
  return [...index.keyColumns, ...index.includeColumns.map((column) => `+${column}`)].join(', ');
}
