/**
 * The largest tables (with their indexes and TOAST) and their live and dead rows: where the disk
 * goes. Informational — growth has no threshold in the contract — so it is always `ok`.
 */
import type { DbCheckModule } from '../check.js';
import { bytes, plural, toNumber } from '../verdict.js';

interface Row {
  schema: string;
  table: string;
  total_bytes: number;
  table_bytes: number;
  index_bytes: number;
  live_rows: number | null;
  dead_rows: number | null;
  tables: number;
  all_bytes: number;
  database_bytes: string;
}

const SQL = `
SELECT n.nspname AS schema,
       c.relname AS table,
       pg_total_relation_size(c.oid)::float8 AS total_bytes,
       pg_relation_size(c.oid)::float8 AS table_bytes,
       pg_indexes_size(c.oid)::float8 AS index_bytes,
       s.n_live_tup::float8 AS live_rows,
       s.n_dead_tup::float8 AS dead_rows,
       count(*) OVER ()::int AS tables,
       sum(pg_total_relation_size(c.oid)) OVER ()::float8 AS all_bytes,
       pg_database_size(current_database())::text AS database_bytes
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables AS s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'
ORDER BY total_bytes DESC, schema, "table"
LIMIT 20`;

export const tableSizes: DbCheckModule = {
  id: 'table-sizes',
  title: 'Table sizes',
  async run(db) {
    const rows = await db.query<Row>(SQL);
    const largest = rows[0];
    return {
      status: 'ok',
      summary: largest
        ? `${plural(largest.tables, 'table')}, ${bytes(largest.all_bytes)} with their indexes; the largest ${largest.schema}.${largest.table} ${bytes(largest.total_bytes)}`
        : 'no tables in this database',
      numbers: {
        tables: largest?.tables ?? 0,
        total_bytes: largest?.all_bytes ?? 0,
        largest_bytes: largest?.total_bytes ?? null,
        database_bytes: toNumber(largest?.database_bytes),
      },
      rows: rows.map(({ tables: _tables, all_bytes: _all, database_bytes: _database, ...row }) => row),
    };
  },
};
