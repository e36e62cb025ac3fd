/**
 * Database set-up shared by the billing tests: the bot's migrations plus graphile-worker's schema
 * (the generation service queues its jobs there), applied as bot/app.ts applies them.
 */
import { runMigrations } from 'graphile-worker';
import type pg from 'pg';
import { pino } from 'pino';
import { applyMigrations } from '../../../bot/db/migrate.js';
import { packageFile } from '../../../cli/core/package-root.js';

const LOCK_KEY = 74110001;

export async function migrate(pool: pg.Pool): Promise<void> {
  await applyMigrations(pool, packageFile('bot/migrations'), { lockKey: LOCK_KEY, log: pino({ level: 'silent' }), whileLocked: () => runMigrations({ pgPool: pool }) });
}

/**
 * pool.end() resolves once its clients are asked to close, before their sockets are closed; a
 * server stopped in that gap terminates them, and the pool rethrows that as an uncaught error.
 * This waits for every client's close.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  const open = pool.totalCount;
  let closed = 0;
  const allClosed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (++closed === open) resolve();
    });
  });
  await pool.end();
  await allClosed;
}
