/**
 * Sequences close to exhaustion (pgHero's sequence danger). The limit is the lower of the
 * sequence's own maximum and its column's type: a bigint sequence feeding an integer column fails
 * at 2^31, not 2^63. Once a sequence runs out every insert into its table fails, so past the
 * threshold it is `critical`.
 */
import type { DbCheckModule } from '../check.js';
import { plural } from '../verdict.js';

interface Row {
  schema: string;
  sequence: string;
  owned_by: string | null;
  column_type: string | null;
  last_value: string | null;
  limit_value: string;
  used_pct: number | null;
  sequences: number;
}

/*
 * pg_sequences.last_value is null for a sequence never used (or one this role may not read):
 * those count as 0 % used. `deptype` 'a' is a serial's sequence, 'i' an identity column's.
 */
const SQL = `
WITH owned AS (
  SELECT s.schemaname AS schema,
         s.sequencename AS sequence,
         s.increment_by,
         s.last_value,
         s.min_value,
         s.max_value,
         tbl.relname || '.' || att.attname AS owned_by,
         format_type(att.atttypid, NULL) AS column_type,
         CASE att.atttypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647 END AS type_max,
         CASE att.atttypid WHEN 'int2'::regtype THEN -32768 WHEN 'int4'::regtype THEN -2147483648 END AS type_min
  FROM pg_sequences AS s
  JOIN pg_namespace AS ns ON ns.nspname = s.schemaname
  JOIN pg_class AS seq ON seq.relname = s.sequencename AND seq.relnamespace = ns.oid
  LEFT JOIN pg_depend AS d ON d.objid = seq.oid AND d.classid = 'pg_class'::regclass
                          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_class AS tbl ON tbl.oid = d.refobjid
  LEFT JOIN pg_attribute AS att ON att.attrelid = d.refobjid AND att.attnum = d.refobjsubid
), bounded AS (
  SELECT *,
         least(max_value, coalesce(type_max, max_value)) AS upper_limit,
         greatest(min_value, coalesce(type_min, min_value)) AS lower_limit
  FROM owned
)
SELECT schema,
       sequence,
       owned_by,
       column_type,
       last_value::text,
       (CASE WHEN increment_by > 0 THEN upper_limit ELSE lower_limit END)::text AS limit_value,
       CASE WHEN last_value IS NULL THEN 0
            WHEN increment_by > 0 THEN round(100 * (last_value::numeric - min_value) / nullif(upper_limit::numeric - min_value, 0), 2)
            ELSE round(100 * (max_value::numeric - last_value) / nullif(max_value::numeric - lower_limit, 0), 2)
       END::float8 AS used_pct,
       count(*) OVER ()::int AS sequences
FROM bounded
ORDER BY used_pct DESC NULLS LAST, schema, sequence`;

export const sequences: DbCheckModule = {
  id: 'sequences',
  title: 'Sequences near exhaustion',
  async run(db, context) {
    const maxPct = context.thresholds.sequence_used_max_pct;
    const rows = await db.query<Row>(SQL);
    const over = rows.filter((row) => row.used_pct !== null && row.used_pct > maxPct);
    const fullest = rows[0];
    return {
      status: over.length > 0 ? 'critical' : 'ok',
      summary:
        over.length > 0
          ? `${plural(over.length, 'sequence')} past ${maxPct} % of their limit: ${over
              .slice(0, 3)
              .map((row) => `${row.sequence} ${row.used_pct} %`)
              .join(', ')}`
          : fullest
            ? `${plural(fullest.sequences, 'sequence')}, the fullest ${fullest.sequence} at ${fullest.used_pct ?? 0} %`
            : 'no sequences',
      numbers: { count: over.length, sequences: fullest?.sequences ?? 0, max_used_pct: fullest?.used_pct ?? null, sequence_used_max_pct: maxPct },
      rows: over.map(({ sequences: _sequences, ...row }) => row),
    };
  },
};
