/**
 * The migration files of this checkout against `migration_history`: a pending file is schema the
 * deployed code may already expect; a changed one means the database no longer matches the code
 * that describes it (the bot refuses to start on it). Files and checksums come from the bot's own
 * migrator, so both sides agree on what a checksum is.
 */
import { readMigrations } from '../../../../bot/db/migrate.js';
import type { CheckVerdict, DbCheckModule } from '../check.js';
import { plural } from '../verdict.js';

export interface RecordedMigration {
  name: string;
  checksum: string;
  appliedAt: string | null;
}

export interface MigrationDrift {
  /** Names in migration_history. */
  applied: number;
  pending: string[];
  changed: { name: string; recorded: string; file: string; appliedAt: string | null }[];
  /** Recorded as applied, but the file is gone from the folder. */
  missing: { name: string; appliedAt: string | null }[];
}

export function compareMigrations(files: readonly { name: string; checksum: string }[], history: readonly RecordedMigration[]): MigrationDrift {
  const recorded = new Map(history.map((row) => [row.name, row]));
  const fileNames = new Set(files.map((file) => file.name));
  return {
    applied: history.length,
    pending: files.filter((file) => !recorded.has(file.name)).map((file) => file.name),
    changed: files.flatMap((file) => {
      const row = recorded.get(file.name);
      return row && row.checksum !== file.checksum ? [{ name: file.name, recorded: row.checksum, file: file.checksum, appliedAt: row.appliedAt }] : [];
    }),
    missing: history.filter((row) => !fileNames.has(row.name)).map((row) => ({ name: row.name, appliedAt: row.appliedAt })),
  };
}

export function migrationDriftVerdict(drift: MigrationDrift, folder: string): Pick<CheckVerdict, 'status' | 'summary'> {
  const problems = [
    drift.pending.length > 0 ? `${plural(drift.pending.length, 'file')} pending (${drift.pending.join(', ')})` : null,
    drift.changed.length > 0 ? `${plural(drift.changed.length, 'file')} changed after being applied (${drift.changed.map((file) => file.name).join(', ')})` : null,
  ].filter((text): text is string => text !== null);
  const missing = drift.missing.length > 0 ? `; ${plural(drift.missing.length, 'applied migration')} no longer in ${folder} (${drift.missing.map((file) => file.name).join(', ')})` : '';
  if (problems.length > 0) return { status: 'critical', summary: `${problems.join('; ')} in ${folder}${missing}` };
  if (missing) return { status: 'warn', summary: `every file in ${folder} is applied${missing}` };
  return { status: 'ok', summary: `all ${plural(drift.applied, 'migration')} of ${folder} applied, none changed` };
}

export const migrationDrift: DbCheckModule = {
  id: 'migration-drift',
  title: 'Migration drift (files vs migration_history)',
  async run(db, context) {
    const files = context.migrations ?? readMigrations(context.bot.migrationsDir);
    const history = await db.query<{ name: string; checksum: string; applied_at: Date | null }>('SELECT name, checksum, applied_at FROM migration_history');
    const drift = compareMigrations(
      files,
      history.map((row) => ({ name: row.name, checksum: row.checksum, appliedAt: row.applied_at?.toISOString() ?? null })),
    );
    const folder = context.bot.migrationsFolder;
    const short = (checksum: string) => `${checksum.slice(0, 12)}…`;
    return {
      ...migrationDriftVerdict(drift, folder),
      numbers: { applied: drift.applied, pending: drift.pending.length, changed: drift.changed.length, missing: drift.missing.length, files: files.length },
      rows: [
        ...drift.pending.map((name) => ({ file: name, state: 'pending', applied_at: null, recorded_checksum: null, file_checksum: short(files.find((file) => file.name === name)!.checksum) })),
        ...drift.changed.map((file) => ({ file: file.name, state: 'changed', applied_at: file.appliedAt, recorded_checksum: short(file.recorded), file_checksum: short(file.file) })),
        ...drift.missing.map((file) => ({ file: file.name, state: 'file missing', applied_at: file.appliedAt, recorded_checksum: null, file_checksum: null })),
      ],
    };
  },
};
