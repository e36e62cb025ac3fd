import type { Command } from 'commander';
import { ExitCode, TrtError } from '../core/errors.js';

export function registerInit(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('init')
    .description('write a starter product/truth.yaml for an existing repository')
    .action(() =>
      run(async () => {
        throw new TrtError('NOT_YET', 'init is being written');
        return ExitCode.ok;
      }),
    );
}
