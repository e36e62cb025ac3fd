/**
 * The checks of `trt ops db`, in report order: sessions and locks first (what is wrong right
 * now), then the bot's own state, then storage and statements (what is slowly going wrong).
 */
import type { DbCheckModule } from '../check.js';
import { advisoryLock } from './advisory-lock.js';
import { cacheHit } from './cache-hit.js';
import { connections } from './connections.js';
import { duplicateIndexes } from './duplicate-indexes.js';
import { errorEvents } from './error-events.js';
import { idleInTransaction } from './idle-in-transaction.js';
import { inboxBacklog } from './inbox-backlog.js';
import { lockWaits } from './lock-waits.js';
import { longRunning } from './long-running.js';
import { migrationDrift } from './migration-drift.js';
import { sequences } from './sequences.js';
import { slowStatements } from './slow-statements.js';
import { stuckGenerations } from './stuck-generations.js';
import { tableSizes } from './table-sizes.js';
import { unusedIndexes } from './unused-indexes.js';

export const DB_CHECKS: readonly DbCheckModule[] = [
  connections,
  longRunning,
  idleInTransaction,
  lockWaits,
  advisoryLock,
  migrationDrift,
  stuckGenerations,
  inboxBacklog,
  errorEvents,
  tableSizes,
  cacheHit,
  unusedIndexes,
  duplicateIndexes,
  sequences,
  slowStatements,
];
