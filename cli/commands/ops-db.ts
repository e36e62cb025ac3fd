/**
 * `trt ops db`: read-only diagnostics of the bot's PostgreSQL (connections, long-running and
 * idle-in-transaction sessions, lock waits, the leader lock, migrations, stuck generations, the
 * inbox, error events, sizes, indexes, sequences, slow statements). Exit 1 when a check is
 * critical, 2 when there is no database to check or it cannot be reached.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { emitReport, JSON_AND_MARKDOWN } from '../core/artifacts.js';
import { ExitCode, TrtError } from '../core/errors.js';
import { useColor } from '../core/terminal.js';
import { loadTruth, truthPathFor } from '../core/truth.js';
import { renderDbJson, renderDbMarkdown, renderDbText } from '../ops/db/render.js';
import { checkDatabase } from '../ops/db/run-checks.js';
import { opsDatabaseUrl } from '../ops/secrets.js';

type Format = 'text' | 'json' | 'markdown';

interface Flags {
  url?: string;
  root: string;
  truth?: string;
  format: Format;
  out?: string;
  artifacts: string | false;
}

export function registerOpsDb(ops: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  ops
    .command('db')
    .description('read-only PostgreSQL diagnostics: sessions, locks, the leader lock, migrations, backlog, indexes (pgHero-style)')
    .option('--url <url>', 'the database (default: $DATABASE_URL_READONLY, then $DATABASE_URL); prefer the variables, a URL here shows in the process list')
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'write the report in --format to this file instead of stdout')
    .option('--artifacts <dir>', 'where the json and markdown reports are written', 'artifacts')
    .option('--no-artifacts', 'write no report files')
    .action((flags: Flags) =>
      run(async () => {
        const root = resolve(flags.root);
        const truth = loadTruth(truthPathFor(root, flags.truth)).truth;
        const url = opsDatabaseUrl(flags.url);
        if (!url) {
          throw new TrtError(
            'DATABASE_URL_MISSING',
            'no database to check: neither --url nor DATABASE_URL_READONLY nor DATABASE_URL is set',
            'set DATABASE_URL_READONLY to a read-only role with pg_read_all_stats (or pass --url)',
          );
        }
        const report = await checkDatabase({ url, truth, root });
        emitReport({
          root,
          name: 'ops-db',
          isoTime: report.checkedAt,
          render: {
            text: () => renderDbText(report, { color: !flags.out && useColor(process.stdout) }),
            json: () => renderDbJson(report),
            markdown: () => renderDbMarkdown(report),
          },
          format: flags.format,
          out: flags.out,
          artifacts: flags.artifacts,
          artifactFiles: JSON_AND_MARKDOWN,
        });
        return report.checks.some((check) => check.status === 'critical') ? ExitCode.findings : ExitCode.ok;
      }),
    );
}
