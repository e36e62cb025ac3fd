import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import { loadTruth, truthPathFor } from '../core/truth.js';

export function registerTruth(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const truth = program.command('truth').description('work with product/truth.yaml');
  truth
    .command('check')
    .description('validate the truth file against schemas/truth.schema.json, and nothing else')
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .action((flags: { root: string; truth?: string }) =>
      run(async () => {
        const path = truthPathFor(resolve(flags.root), flags.truth);
        const loaded = loadTruth(path);
        const sections = Object.keys(loaded.truth).filter((key) => key !== 'version' && key !== '$schema');
        process.stdout.write(`✔ ${path} is valid (${sections.length} sections: ${sections.join(', ')})\n`);
        return ExitCode.ok;
      }),
    );
}
