#!/usr/bin/env node
/**
 * The `trt` command: wires the subcommands and turns results and errors into exit codes.
 * Nothing else lives here; each subcommand is registered by its module in `commands/`.
 *
 * Only the module of the subcommand being run is loaded: `trt verify` before a push should not
 * pay for loading the bot's server, PostgreSQL and HTTP clients that demo, smoke and ops use.
 * Help and an unknown name load them all, so every command is listed.
 */
import { Command, CommanderError } from 'commander';
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

type Register = (program: Command, run: (action: () => Promise<number>) => Promise<void>) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  smoke: async () => (await import('./commands/smoke.js')).registerSmoke,
  ops: async () => (await import('./commands/ops.js')).registerOps,
  release: async () => (await import('./commands/release.js')).registerRelease,
  truth: async () => (await import('./commands/truth.js')).registerTruth,
  init: async () => (await import('./commands/init.js')).registerInit,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
};

const named = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const loading = named !== undefined && named in COMMANDS ? [COMMANDS[named]!] : Object.values(COMMANDS);
for (const register of await Promise.all(loading.map((load) => load()))) register(program, run);

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
