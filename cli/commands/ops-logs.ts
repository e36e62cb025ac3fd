/**
 * `trt ops logs`: the bot's logs from Render's API, a file or stdin, redacted, filtered to a
 * window, printed and saved under artifacts/ (JSON lines + a markdown summary).
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { emitReport } from '../core/artifacts.js';
import { ExitCode, TrtError } from '../core/errors.js';
import { secretRedactor } from '../core/redact.js';
import { useColor } from '../core/terminal.js';
import { loadTruth, truthPathFor } from '../core/truth.js';
import { DEFAULT_LINE_LIMIT, fetchLogs, type LogFetchResult } from '../ops/logs/fetch.js';
import { LEVELS } from '../ops/logs/normalize.js';
import { describeFetch, describeWait, renderLogsJson, renderLogsJsonl, renderLogsMarkdown, renderLogsText } from '../ops/logs/report.js';
import { opsSecretValues } from '../ops/secrets.js';

type Format = 'text' | 'json' | 'markdown';

interface Flags {
  source?: 'render' | 'file' | '-';
  file?: string;
  since?: string;
  until?: string;
  grep?: string;
  level?: string;
  limit: string;
  root: string;
  truth?: string;
  format: Format;
  out?: string;
  artifacts: string | false;
}

export function registerOpsLogs(ops: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  ops
    .command('logs')
    .description("read the bot's logs from Render (RENDER_API_KEY, RENDER_OWNER_ID, RENDER_SERVICE_ID), a file or stdin; secrets redacted")
    .addOption(new Option('--source <source>', 'render, file (with --file) or - for stdin (default: render, or file when --file is given)').choices(['render', 'file', '-']))
    .option('--file <path>', 'the log file (the bot’s pino JSON lines; other lines are kept as plain messages)')
    .option('--since <time>', 'start: a duration back from now (30m, 2h, 1d) or an RFC 3339 time (default: 1h for Render, the whole file otherwise)')
    .option('--until <time>', 'end: a duration back from now or an RFC 3339 time (default: now)')
    .option('--grep <regex>', 'keep lines whose message matches (case-insensitive)')
    .addOption(new Option('--level <level>', 'keep lines at this level or more severe').choices([...LEVELS]))
    .option('--limit <n>', 'keep at most this many lines, the newest', String(DEFAULT_LINE_LIMIT))
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file, for the secrets to redact (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'write the output in --format to this file instead of stdout')
    .option('--artifacts <dir>', 'where the .jsonl lines and the .md summary are written', 'artifacts')
    .option('--no-artifacts', 'write no files')
    .action((flags: Flags) =>
      run(async () => {
        const root = resolve(flags.root);
        const truth = loadTruth(truthPathFor(root, flags.truth)).truth;
        const secretValues = opsSecretValues(truth);
        const redact = secretRedactor(secretValues);
        const source = flags.source ?? (flags.file === undefined ? 'render' : 'file');
        const now = new Date();
        const fetched = await fetchLogs({
          source: source === '-' ? 'stdin' : source,
          ...(flags.file === undefined ? {} : { file: flags.file }),
          ...(flags.since === undefined ? {} : { since: flags.since }),
          ...(flags.until === undefined ? {} : { until: flags.until }),
          ...(flags.grep === undefined ? {} : { grep: flags.grep }),
          ...(flags.level === undefined ? {} : { level: flags.level }),
          limit: parseLimit(flags.limit),
          env: process.env,
          now,
          secretValues,
          onWait: (wait) => {
            if (wait.reason !== 'client-pacing' || wait.ms >= 1000) process.stderr.write(`trt: waiting ${describeWait(wait)}\n`);
          },
        });
        emit(flags, fetched, redact, root, now);
        return ExitCode.ok;
      }),
    );
}

function emit(flags: Flags, fetched: LogFetchResult, redact: (text: string) => string, root: string, now: Date): void {
  const color = flags.format === 'text' && !flags.out && useColor(process.stdout);
  // What trt adds around the lines (the file name, the waits) is redacted too, once per document.
  emitReport({
    root,
    name: 'ops-logs',
    isoTime: now.toISOString(),
    render: {
      text: () => redact(renderLogsText(fetched, { color })),
      json: () => redact(renderLogsJson(fetched)),
      jsonl: () => redact(renderLogsJsonl(fetched)),
      markdown: () => redact(renderLogsMarkdown(fetched)),
    },
    format: flags.format,
    out: flags.out,
    artifacts: flags.artifacts,
    artifactFiles: [
      { ext: 'jsonl', format: 'jsonl' },
      { ext: 'md', format: 'markdown' },
    ],
  });
  process.stderr.write(`trt: ${redact(describeFetch(fetched))}\n`);
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new TrtError('BAD_FLAG', `--limit ${JSON.stringify(text)} is not a whole number ≥ 1`, `the default is ${DEFAULT_LINE_LIMIT}`);
  return Number(text);
}
