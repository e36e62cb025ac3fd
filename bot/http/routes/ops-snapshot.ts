/**
 * `GET /admin/ops/snapshot` (SPEC §6): the `trt ops snapshot` summary, served by the bot from its
 * own database — the read-only checks of `trt ops db` and critical5 over them. The bot does not
 * read its own logs here (`logs: null`): Render holds them, `trt ops snapshot` reads them.
 *
 * An admin endpoint must not become load on a struggling database: the checks run in a read-only
 * transaction, concurrent requests share one run, and an answer that takes longer than the
 * deadline is a 503 rather than a request left hanging.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { packageRoot } from '../../../cli/core/package-root.js';
import { secretRedactor } from '../../../cli/core/redact.js';
import { loadTruth } from '../../../cli/core/truth.js';
import { buildSnapshot } from '../../../cli/ops/critical5/critical5.js';
import { checkDatabase, type CheckDatabaseOptions } from '../../../cli/ops/db/run-checks.js';
import type { Snapshot } from '../../../cli/ops/model.js';
import type { BotConfig } from '../../config.js';
import type { MigrationFile } from '../../db/migrate.js';
import { DeadlineExceeded, withDeadline } from '../../deadline.js';

export interface OpsSnapshotDeps {
  config: BotConfig;
  log: Logger;
  /** Read once at start (bot/app.ts): the files this process ships with, not re-read per request. */
  migrationFiles: readonly MigrationFile[];
  /** The database the bot runs on (the embedded one's URL when DATABASE_URL is unset). */
  databaseUrl: string;
  /** Longest a request waits for the checks; default {@link SNAPSHOT_DEADLINE_MS}. */
  deadlineMs?: number;
}

export const SNAPSHOT_DEADLINE_MS = 10_000;

/** Registers the route on `admin`, the plugin whose onRequest hook checks the admin secret. */
export function registerOpsSnapshotRoute(admin: FastifyInstance, deps: OpsSnapshotDeps): void {
  // Read once at start: the contract the bot runs with is the one its checks use.
  const truth = loadTruth(deps.config.truthFile).truth;
  const root = packageRoot();
  const redact = secretRedactor(deps.config.secretValues);
  const deadlineMs = deps.deadlineMs ?? SNAPSHOT_DEADLINE_MS;
  let running: Promise<Snapshot> | null = null;

  admin.get('/admin/ops/snapshot', async (_request, reply) => {
    running ??= snapshotOf({ url: deps.databaseUrl, truth, root, migrations: deps.migrationFiles }, redact).finally(() => {
      running = null;
    });
    const timeout = `the ops snapshot did not finish within ${deadlineMs / 1000} s: the database is slow or overloaded; retry later, or run \`trt ops db\` against it`;
    try {
      return await withDeadline(running, deadlineMs, timeout);
    } catch (error) {
      if (error instanceof DeadlineExceeded) {
        deps.log.warn({ deadlineMs }, 'ops snapshot timed out');
        return reply.code(503).send({ error: timeout });
      }
      const message = redact(error instanceof Error ? error.message : String(error));
      deps.log.error({ err: error }, 'ops snapshot failed');
      return reply.code(503).send({ error: `the database could not be checked: ${message}` });
    }
  });
}

async function snapshotOf(options: Omit<CheckDatabaseOptions, 'now'>, redact: (text: string) => string): Promise<Snapshot> {
  const now = new Date();
  const db = await checkDatabase({ ...options, now });
  return buildSnapshot({ truth: options.truth, logs: null, db, now, redact, unavailable: { logs: 'not read by the bot: its logs are on the platform; `trt ops snapshot` reads them' } });
}
