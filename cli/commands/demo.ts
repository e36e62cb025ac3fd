import type { Command } from 'commander';
import { ExitCode, TrtError } from '../core/errors.js';

/** `npm run demo`: the whole loop arrives with the release/demo issue; until then it says so. */
export function registerDemo(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('demo')
    .description('the whole loop on this machine (not built yet)')
    .action(() =>
      run(async () => {
        throw new TrtError(
          'NOT_YET',
          'the demo is not built yet: it needs the bot, `trt smoke` and `trt ops`, which are still open issues',
          'what works today: `npx trt verify` (static gates) and `npx trt truth check`',
        );
        return ExitCode.ok;
      }),
    );
}
