#!/usr/bin/env node
/**
 * The `trt` command: wires the subcommands and turns results and errors into exit codes.
 * Nothing else lives here; each subcommand is registered by its module in `commands/`.
 */
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerInit } from './commands/init.js';
import { registerOps } from './commands/ops.js';
import { registerRelease } from './commands/release.js';
import { registerSmoke } from './commands/smoke.js';
import { registerTruth } from './commands/truth.js';
import { registerVerify } from './commands/verify.js';
import { ExitCode, exitCodeFor, formatError } from './core/errors.js';
import { packageVersion } from './core/package-root.js';

async function run(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

const program = new Command()
  .name('trt')
  .description('Truth gates for a production Telegram bot, from product/truth.yaml')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)')
  // A subcommand's options belong to it (`release status --root X`), not to its parent.
  .enablePositionalOptions()
  .exitOverride();

registerVerify(program, run);
registerSmoke(program, run);
registerOps(program, run);
registerRelease(program, run);
registerTruth(program, run);
registerInit(program, run);
registerDemo(program, run);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
