/**
 * The registry of `trt verify` rules, sorted by id. Each rule lives in `./<id>.ts`; a test checks
 * that every file here is registered and has its fixtures, tests and README section.
 */
import type { AnyRule } from '../rule.js';
import advisoryLockInt32 from './advisory-lock-int32.js';
import forbiddenEnv from './forbidden-env.js';
import healthContract from './health-contract.js';
import noBlockingInAsync from './no-blocking-in-async.js';
import noCircularImports from './no-circular-imports.js';
import noWildcardImports from './no-wildcard-imports.js';
import quarantineBoundary from './quarantine-boundary.js';
import requiredFiles from './required-files.js';
import singleEntrypoint from './single-entrypoint.js';
import sqlMigrations from './sql-migrations.js';
import telegramHtmlSafety from './telegram-html-safety.js';
import truthRoutes from './truth-routes.js';
import undeclaredEnv from './undeclared-env.js';

export const RULES: readonly AnyRule[] = [
  advisoryLockInt32,
  forbiddenEnv,
  healthContract,
  noBlockingInAsync,
  noCircularImports,
  noWildcardImports,
  quarantineBoundary,
  requiredFiles,
  singleEntrypoint,
  sqlMigrations,
  telegramHtmlSafety,
  truthRoutes,
  undeclaredEnv,
];
