/**
 * `trt ops`: what is hurting production right now. Each subcommand lives in its own module:
 * logs (Render's API or the bot's own JSON logs), db (read-only diagnostics), critical5 and
 * snapshot (the ranked problems and the combined report).
 */
import type { Command } from 'commander';
import { registerOpsDb } from './ops-db.js';
import { registerOpsLogs } from './ops-logs.js';
import { registerOpsReport } from './ops-report.js';

export function registerOps(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const ops = program.command('ops').description('production diagnostics: logs, read-only database checks, the critical five');
  registerOpsLogs(ops, run);
  registerOpsDb(ops, run);
  registerOpsReport(ops, run);
}
