/**
 * `trt ops critical5` and `trt ops snapshot`: read the logs (as `trt ops logs` does) and the
 * database (as `trt ops db` does), then rank what they show. A source that cannot be read is
 * named in the report and the other one is still used; only when neither can be read is there
 * nothing to report (exit 2).
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { emitReport, JSON_AND_MARKDOWN } from '../core/artifacts.js';
import { ExitCode, TrtError } from '../core/errors.js';
import { secretRedactor } from '../core/redact.js';
import { useColor } from '../core/terminal.js';
import { loadTruth, truthPathFor } from '../core/truth.js';
import { buildCritical5, buildSnapshot, type Critical5Input } from '../ops/critical5/critical5.js';
import { readSources } from '../ops/critical5/sources.js';
import { hasUrgent } from '../ops/critical5/rank.js';
import {
  renderCritical5Json,
  renderCritical5Markdown,
  renderCritical5Text,
  renderSnapshotJson,
  renderSnapshotMarkdown,
  renderSnapshotText,
  type RenderContext,
} from '../ops/critical5/render.js';
import { describeWait } from '../ops/logs/report.js';
import { opsDatabaseUrl, opsSecretValues } from '../ops/secrets.js';

type Format = 'text' | 'json' | 'markdown';

interface Flags {
  root: string;
  truth?: string;
  format: Format;
  out?: string;
  artifacts: string | false;
  source?: 'render' | 'file' | '-';
  file?: string;
  since?: string;
  until?: string;
  logs: boolean;
  url?: string;
  db: boolean;
}

/** What was read, what could not be, and how to hide every secret in it. */
interface Gathered {
  input: Critical5Input;
  context: Omit<RenderContext, 'color'>;
  redact: (text: string) => string;
  root: string;
}

export function registerOpsReport(ops: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  withSourceOptions(ops.command('critical5').description('rank the five worst problems the logs and the database show, with evidence and the action to take')).action(
    (flags: Flags) =>
      run(async () => {
        const gathered = await gather(flags);
        const critical5 = buildCritical5(gathered.input);
        const context = { ...gathered.context, color: flags.format === 'text' && !flags.out && useColor(process.stdout) };
        const documents = {
          text: () => renderCritical5Text(critical5, context),
          json: () => renderCritical5Json(critical5),
          markdown: () => renderCritical5Markdown(critical5, context),
        };
        emit(flags, gathered, 'ops-critical5', critical5.generatedAt, documents);
        return hasUrgent(critical5) ? ExitCode.findings : ExitCode.ok;
      }),
  );

  withSourceOptions(ops.command('snapshot').description('logs summary, database checks and critical5 in one markdown + JSON report')).action((flags: Flags) =>
    run(async () => {
      const gathered = await gather(flags);
      const snapshot = buildSnapshot(gathered.input);
      const context = { ...gathered.context, color: flags.format === 'text' && !flags.out && useColor(process.stdout) };
      const documents = {
        text: () => renderSnapshotText(snapshot, context),
        json: () => renderSnapshotJson(snapshot),
        markdown: () => renderSnapshotMarkdown(snapshot, context),
      };
      emit(flags, gathered, 'ops-snapshot', snapshot.generatedAt, documents);
      return hasUrgent(snapshot.critical5) ? ExitCode.findings : ExitCode.ok;
    }),
  );
}

function withSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--source <source>', 'render, file (with --file) or - for stdin (default: render, or file when --file is given)').choices(['render', 'file', '-']))
    .option('--file <path>', 'the log file (the bot’s pino JSON lines)')
    .option('--since <time>', 'start: a duration back from now (30m, 2h, 1d) or an RFC 3339 time (default: 1h for Render, the whole file otherwise)')
    .option('--until <time>', 'end: a duration back from now or an RFC 3339 time (default: now)')
    .option('--no-logs', 'read no logs: the database only')
    .option('--url <url>', 'the database (default: $DATABASE_URL_READONLY, then $DATABASE_URL)')
    .option('--no-db', 'check no database: the logs only')
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'write the report in --format to this file instead of stdout')
    .option('--artifacts <dir>', 'where the json and markdown reports are written', 'artifacts')
    .option('--no-artifacts', 'write no report files');
}

async function gather(flags: Flags): Promise<Gathered> {
  const root = resolve(flags.root);
  const truth = loadTruth(truthPathFor(root, flags.truth)).truth;
  const url = flags.db ? opsDatabaseUrl(flags.url) : undefined;
  const secretValues = opsSecretValues(truth, process.env, url);
  const redact = secretRedactor(secretValues);
  const now = new Date();
  const source = flags.source ?? (flags.file === undefined ? 'render' : 'file');
  const { logs, db, unavailable } = await readSources({
    logs: !flags.logs
      ? { skipped: 'skipped (--no-logs)' }
      : {
          source: source === '-' ? 'stdin' : source,
          ...(flags.file === undefined ? {} : { file: flags.file }),
          ...(flags.since === undefined ? {} : { since: flags.since }),
          ...(flags.until === undefined ? {} : { until: flags.until }),
          env: process.env,
          now,
          secretValues,
          // Render's rate limits can pause the run for a minute: say why it is quiet.
          onWait: (wait) => {
            if (wait.reason !== 'client-pacing' || wait.ms >= 1000) process.stderr.write(`trt: waiting ${describeWait(wait)}\n`);
          },
        },
    db: !flags.db
      ? { skipped: 'skipped (--no-db)' }
      : url === undefined
        ? { skipped: 'no database URL: pass --url, or set DATABASE_URL_READONLY (or DATABASE_URL)' }
        : { url, truth, root },
    now,
    redact,
  });

  if (logs === null && db === null) {
    throw new TrtError(
      'OPS_NO_SOURCE',
      'neither the logs nor the database could be read: there is nothing to report on',
      'fix one of the two sources above, or point at them with --source/--file and --url',
      [`logs: ${unavailable.logs ?? 'not read'}`, `database: ${unavailable.db ?? 'not checked'}`],
    );
  }
  const dbChecks = db ? db.checks.filter((check) => check.status !== 'unavailable').length : null;
  return { input: { truth, logs, db, now, redact, unavailable }, context: { dbChecks, unavailable }, redact, root };
}

function emit(flags: Flags, gathered: Gathered, name: string, isoTime: string, documents: Record<Format, () => string>): void {
  const { redact, context } = gathered;
  // A json document on stdout says nothing about a source it lacks; stderr does.
  if (flags.format === 'json' || flags.out) {
    if (context.unavailable.logs) process.stderr.write(`trt: logs not read: ${context.unavailable.logs}\n`);
    if (context.unavailable.db) process.stderr.write(`trt: database not checked: ${context.unavailable.db}\n`);
  }
  const render = Object.fromEntries(Object.entries(documents).map(([format, document]) => [format, () => redact(document())]));
  emitReport({ root: gathered.root, name, isoTime, render, format: flags.format, out: flags.out, artifacts: flags.artifacts, artifactFiles: JSON_AND_MARKDOWN });
}
