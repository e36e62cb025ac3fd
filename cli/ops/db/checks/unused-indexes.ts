/**
 * Indexes never scanned since the statistics were last reset: every write maintains them for
 * nothing. Unique and primary-key indexes enforce constraints and are never "unused". An index
 * only counts as unused once its table has been read {@link MIN_TABLE_SCANS} times another way —
 * on a fresh or idle database every index is unscanned, and that proves nothing.
 */
import type { DbCheckModule } from '../check.js';
import { bytes, plural } from '../verdict.js';

export const MIN_TABLE_SCANS = 100;

// A type, not an interface: a report row must be assignable to Record<string, unknown>.
type Row = {
  schema: string;
  table: string;
  index: string;
  size_bytes: number;
  table_scans: number;
};

/*
 * graphile_worker's indexes belong to the library: the bot cannot drop them, so listing them
 * would be advice nobody can follow.
 */
const SQL = `
SELECT ui.schemaname AS schema,
       ui.relname AS table,
       ui.indexrelname AS index,
       pg_relation_size(ui.indexrelid)::float8 AS size_bytes,
       (coalesce(t.seq_scan, 0) + coalesce(t.idx_scan, 0))::float8 AS table_scans
FROM pg_stat_user_indexes AS ui
JOIN pg_index AS i ON i.indexrelid = ui.indexrelid
JOIN pg_stat_user_tables AS t ON t.relid = ui.relid
WHERE ui.idx_scan = 0
  AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion AND i.indisvalid
  AND ui.schemaname <> 'graphile_worker'
  AND coalesce(t.seq_scan, 0) + coalesce(t.idx_scan, 0) >= $1::bigint
ORDER BY size_bytes DESC, schema, "table", index`;

function sinceNote(statsResetAt: string | null): string {
  return statsResetAt ? `since ${statsResetAt} (when the statistics were last reset)` : 'since the statistics began (no reset recorded)';
}

export const unusedIndexes: DbCheckModule = {
  id: 'unused-indexes',
  title: 'Unused indexes',
  async run(db, context) {
    const rows = await db.query<Row>(SQL, [MIN_TABLE_SCANS]);
    const total = rows.reduce((sum, row) => sum + row.size_bytes, 0);
    const since = sinceNote(context.statsResetAt);
    return {
      status: rows.length > 0 ? 'warn' : 'ok',
      summary:
        rows.length > 0
          ? `${plural(rows.length, 'index', 'indexes')} never scanned ${since} while their tables were read ${MIN_TABLE_SCANS}+ times: ${rows
              .slice(0, 3)
              .map((row) => row.index)
              .join(', ')}${rows.length > 3 ? ', …' : ''} (${bytes(total)})`
          : `no unused index among tables read ${MIN_TABLE_SCANS}+ times ${since}`,
      numbers: { count: rows.length, bytes: total, min_table_scans: MIN_TABLE_SCANS, stats_reset_at: context.statsResetAt },
      rows,
    };
  },
};
