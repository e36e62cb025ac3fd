/**
 * Numbered SQL migrations, applied at start. Each file runs in its own transaction together with
 * its row in `migration_history`, so a file is either applied and recorded or neither; a file
 * edited after it was applied stops the start, because the database no longer matches the code
 * that describes it.
 *
 * @example
 * ```ts
 * const { applied } = await applyMigrations(pool, config.migrationsDir, {
 *   lockKey: config.lockKey,
 *   log,
 *   whileLocked: (client) => installQueueSchema(client),
 * });
 * ```
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

export interface MigrationFile {
  name: string;
  /** sha256 (hex) of the file's bytes. */
  checksum: string;
  sql: string;
}

/** A migration problem the operator must fix: names the file and says what to do. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrationStatus {
  /** Every name recorded in `migration_history`, in migration order (changed ones included). */
  applied: string[];
  /** Files with no row in `migration_history`. */
  pending: string[];
  /** Applied files whose checksum differs from the recorded one. */
  changed: string[];
}

export interface ApplyOptions {
  /** The `database.lock_key`; taken here in its two-int form `(lockKey, 1)`, so it never meets the leader lock. */
  lockKey: number;
  log: Logger;
  /** Runs on the locked connection after the files, so schema set-up by libraries is serialised too. */
  whileLocked?: (client: pg.PoolClient) => Promise<void>;
}

const FILE_NAME = /^(\d+)_[A-Za-z0-9_.-]+\.sql$/;

/** The migration files of `dir`, in numeric order. Files not ending in `.sql` are ignored. */
export function readMigrations(dir: string): MigrationFile[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationError(`cannot read the migrations folder ${dir}: ${messageOf(error)} (check database.migrations in the contract)`);
  }
  const names = entries.filter((entry) => entry.isFile() && /\.sql$/i.test(entry.name)).map((entry) => entry.name);
  for (const name of names) {
    if (!FILE_NAME.test(name)) {
      throw new MigrationError(
        `migration file ${join(dir, name)} is not named <number>_<name>.sql (letters, digits, "_", "." and "-" only): rename it, or move it out of the folder`,
      );
    }
  }
  names.sort(byMigrationOrder);
  for (let i = 1; i < names.length; i++) {
    const previous = names[i - 1]!;
    const current = names[i]!;
    if (numberOf(previous) === numberOf(current)) {
      const next = numberOf(names[names.length - 1]!)! + 1n;
      throw new MigrationError(
        `migrations ${previous} and ${current} in ${dir} share the number ${numberOf(current)}: renumber the one not yet applied (the next free number is ${next})`,
      );
    }
  }
  return names.map((name) => {
    const bytes = readFileSync(join(dir, name));
    return { name, checksum: createHash('sha256').update(bytes).digest('hex'), sql: bytes.toString('utf8') };
  });
}

/** Compares the files with `migration_history`; copes with the table not existing yet (everything pending). */
export async function migrationStatus(db: pg.Pool | pg.PoolClient, files: MigrationFile[]): Promise<MigrationStatus> {
  const history = await readHistory(db);
  return {
    applied: [...history.keys()].sort(byMigrationOrder),
    pending: files.filter((file) => !history.has(file.name)).map((file) => file.name),
    changed: files.filter((file) => history.has(file.name) && history.get(file.name) !== file.checksum).map((file) => file.name),
  };
}

/**
 * Applies the pending files of `dir` under a session advisory lock, so instances starting together
 * take turns and the later ones find everything applied. Throws {@link MigrationError} when an
 * applied file was changed (nothing is applied then) or when a file fails (that file is rolled
 * back; the ones before it stay applied).
 */
export async function applyMigrations(
  pool: pg.Pool,
  dir: string,
  options: ApplyOptions,
): Promise<{ applied: string[]; alreadyApplied: string[] }> {
  const files = readMigrations(dir);
  const client = await pool.connect();
  let failed = false;
  try {
    await lock(client, options);
    const result = await applyFiles(client, files, dir, options.log);
    await options.whileLocked?.(client);
    await client.query('SELECT pg_advisory_unlock($1::int, 1)', [options.lockKey]);
    return result;
  } catch (error) {
    failed = true;
    // Best effort, so the error that matters is the one thrown: when the connection is broken,
    // destroying it below ends the session, and the lock with it.
    await client.query('SELECT pg_advisory_unlock($1::int, 1)', [options.lockKey]).catch(() => undefined);
    throw error;
  } finally {
    client.release(failed);
  }
}

async function lock(client: pg.PoolClient, { lockKey, log }: ApplyOptions): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, 1) AS locked', [lockKey]);
  if (rows[0]?.locked) return;
  log.info({ lockKey }, 'another instance is applying migrations: waiting for it to finish');
  await client.query('SELECT pg_advisory_lock($1::int, 1)', [lockKey]);
}

async function applyFiles(
  client: pg.PoolClient,
  files: MigrationFile[],
  dir: string,
  log: Logger,
): Promise<{ applied: string[]; alreadyApplied: string[] }> {
  const history = await readHistory(client);
  const changed = files.filter((file) => history.has(file.name) && history.get(file.name) !== file.checksum);
  if (changed.length > 0) {
    const checksums = (file: MigrationFile): string => `checksum ${history.get(file.name)!.slice(0, 12)}…≠${file.checksum.slice(0, 12)}…`;
    const [only] = changed;
    throw new MigrationError(
      changed.length === 1 && only
        ? `migration ${only.name} was changed after it was applied (${checksums(only)}): restore the file and add a new numbered migration instead`
        : `migrations ${changed.map((file) => `${file.name} (${checksums(file)})`).join(', ')} were changed after they were applied: restore the files and add new numbered migrations instead`,
    );
  }
  const fileNames = new Set(files.map((file) => file.name));
  for (const name of [...history.keys()].filter((name) => !fileNames.has(name)).sort(byMigrationOrder)) {
    log.warn({ migration: name, dir }, `migration ${name} is recorded as applied but its file is no longer in ${dir}; its changes stay in the database`);
  }

  const alreadyApplied = files.filter((file) => history.has(file.name)).map((file) => file.name);
  const applied: string[] = [];
  for (const file of files.filter((file) => !history.has(file.name))) {
    // PostgreSQL's error position is within the failing query: a line of the file only when it was the file.
    let runningFile = false;
    try {
      await client.query('BEGIN');
      runningFile = true;
      await client.query(file.sql);
      runningFile = false;
      await client.query('INSERT INTO migration_history (name, checksum) VALUES ($1::text, $2::text)', [file.name, file.checksum]);
      await client.query('COMMIT');
    } catch (error) {
      // When the connection itself is gone ROLLBACK fails too; the session's end rolls back anyway.
      await client.query('ROLLBACK').catch(() => undefined);
      throw new MigrationError(
        `migration ${file.name} failed${runningFile ? lineOf(error, file.sql) : ''}: ${messageOf(error)}${hintOf(error)}; it was rolled back (the migrations before it stay applied): fix the file and start again`,
      );
    }
    applied.push(file.name);
    log.info({ migration: file.name }, 'migration applied');
  }
  log.info({ applied: applied.length, alreadyApplied: alreadyApplied.length }, 'database schema up to date');
  return { applied, alreadyApplied };
}

/** name → checksum; empty before the first migration created the table. */
async function readHistory(db: pg.Pool | pg.PoolClient): Promise<Map<string, string>> {
  const exists = await db.query<{ present: boolean }>(`SELECT to_regclass('migration_history') IS NOT NULL AS present`);
  if (!exists.rows[0]?.present) return new Map();
  const { rows } = await db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM migration_history');
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

function numberOf(name: string): bigint | null {
  const digits = /^\d+/.exec(name)?.[0];
  return digits === undefined ? null : BigInt(digits);
}

function byMigrationOrder(a: string, b: string): number {
  const na = numberOf(a);
  const nb = numberOf(b);
  if (na !== null && nb !== null && na !== nb) return na < nb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PostgreSQL reports where in the query an error is (a 1-based character position): as a line of the file. */
function lineOf(error: unknown, sql: string): string {
  if (!(error instanceof pg.DatabaseError) || error.position === undefined) return '';
  const position = Number(error.position);
  if (!Number.isInteger(position) || position < 1) return '';
  return ` at line ${sql.slice(0, position - 1).split('\n').length}`;
}

function hintOf(error: unknown): string {
  return error instanceof pg.DatabaseError && error.hint ? ` (hint: ${error.hint})` : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
