/**
 * The share of table and index block reads served from shared buffers (pgHero's cache hit rate).
 * Below the minimum, the working set no longer fits in memory. A database that has read little
 * since its statistics began (just started, or idle) says nothing either way: under
 * {@link MIN_BLOCKS} the ratio is not judged, so a fresh database is not reported as cold.
 */
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { round1 } from '../verdict.js';

export const MIN_BLOCKS = 10_000;

export interface BlockCounts {
  hit: number;
  read: number;
}

/** The hit ratio in per cent; null when fewer than {@link MIN_BLOCKS} blocks were accessed. */
export function hitPct(counts: BlockCounts): number | null {
  const total = counts.hit + counts.read;
  return total < MIN_BLOCKS ? null : round1((100 * counts.hit) / total);
}

export function cacheHitVerdict(tables: BlockCounts, indexes: BlockCounts, minPct: number): Pick<CheckVerdict, 'status' | 'summary'> {
  const tablePct = hitPct(tables);
  const indexPct = hitPct(indexes);
  if (tablePct === null && indexPct === null) {
    return { status: 'ok', summary: `too little traffic to judge: ${tables.hit + tables.read + indexes.hit + indexes.read} blocks accessed since the statistics began (judged from ${MIN_BLOCKS})` };
  }
  const figures = `tables ${tablePct === null ? 'not judged (little traffic)' : `${tablePct} %`}, indexes ${indexPct === null ? 'not judged (little traffic)' : `${indexPct} %`}`;
  const low = (tablePct !== null && tablePct < minPct) || (indexPct !== null && indexPct < minPct);
  return low ? { status: 'warn', summary: `cache hit ratio below ${minPct} %: ${figures}` } : { status: 'ok', summary: `cache hit ratio ${figures}` };
}

interface Row {
  table_hit: number | null;
  table_read: number | null;
  index_hit: number | null;
  index_read: number | null;
}

const SQL = `
SELECT (SELECT sum(heap_blks_hit) FROM pg_statio_user_tables)::float8 AS table_hit,
       (SELECT sum(heap_blks_read) FROM pg_statio_user_tables)::float8 AS table_read,
       (SELECT sum(idx_blks_hit) FROM pg_statio_user_indexes)::float8 AS index_hit,
       (SELECT sum(idx_blks_read) FROM pg_statio_user_indexes)::float8 AS index_read`;

export const cacheHit: DbCheckModule = {
  id: 'cache-hit',
  title: 'Cache hit ratio',
  async run(db, context) {
    const [row] = await db.query<Row>(SQL);
    const tables = { hit: row?.table_hit ?? 0, read: row?.table_read ?? 0 };
    const indexes = { hit: row?.index_hit ?? 0, read: row?.index_read ?? 0 };
    return {
      ...cacheHitVerdict(tables, indexes, context.thresholds.cache_hit_min_pct),
      numbers: {
        table_hit_pct: hitPct(tables),
        index_hit_pct: hitPct(indexes),
        table_blocks: tables.hit + tables.read,
        index_blocks: indexes.hit + indexes.read,
        min_blocks: MIN_BLOCKS,
        cache_hit_min_pct: context.thresholds.cache_hit_min_pct,
      },
    };
  },
};
