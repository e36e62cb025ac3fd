import { Option, type Command } from 'commander';
import { ExitCode, TrtError } from '../core/errors.js';
import { packageVersion } from '../core/package-root.js';
import { useColor } from '../core/terminal.js';
import { DEFAULT_BASELINE, verify } from '../verify/engine.js';
import { renderGithub } from '../verify/reporters/github.js';
import { renderJson } from '../verify/reporters/json.js';
import { renderSarif } from '../verify/reporters/sarif.js';
import { renderText } from '../verify/reporters/text.js';

interface VerifyFlags {
  root: string;
  truth?: string;
  format: 'text' | 'json' | 'sarif' | 'github';
  baseline?: string;
  updateBaseline?: boolean;
  rule?: string[];
  cache: boolean;
  workers?: string;
}

export function registerVerify(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('verify')
    .description('check the repository against product/truth.yaml (static gates)')
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif', 'github']).default('text'))
    .option('--baseline <file>', 'known findings that do not fail the run')
    .option('--update-baseline', `record every current finding in the baseline (default file: <root>/${DEFAULT_BASELINE})`)
    .option('--rule <id...>', 'run only these rules')
    .option('--no-cache', 'ignore and do not write node_modules/.cache/trt')
    .option('--workers <n>', 'worker threads for parsing (0: none; default: by repository size)')
    .action((flags: VerifyFlags) =>
      run(async () => {
        const workers = flags.workers === undefined ? undefined : Number(flags.workers);
        if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) {
          throw new TrtError('BAD_FLAG', `--workers takes a whole number, not "${flags.workers}"`, 'pass --workers 0 to parse on the main thread');
        }
        const result = await verify({
          root: flags.root,
          ...(flags.truth ? { truth: flags.truth } : {}),
          ...(flags.rule ? { rules: flags.rule.flatMap((id) => id.split(',')).filter(Boolean) } : {}),
          ...(flags.baseline ? { baseline: flags.baseline } : {}),
          ...(flags.updateBaseline ? { updateBaseline: true } : {}),
          cache: flags.cache,
          ...(workers !== undefined ? { workers } : {}),
        });
        const output =
          flags.format === 'json'
            ? renderJson(result)
            : flags.format === 'sarif'
              ? renderSarif(result, { toolVersion: packageVersion() })
              : flags.format === 'github'
                ? renderGithub(result)
                : renderText(result, { color: useColor(process.stdout) });
        process.stdout.write(output);
        if (flags.updateBaseline) {
          process.stderr.write(`trt: baseline written with ${result.baselined} finding(s)\n`);
        }
        return result.summary.errors > 0 ? ExitCode.findings : ExitCode.ok;
      }),
    );
}
