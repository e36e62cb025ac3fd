/**
 * `trt ops logs`: the bot's logs from Render's API, a file or stdin, redacted, filtered to a
 * window, printed and saved under artifacts/ (JSON lines + a markdown summary).
 */
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { writeArtifacts } from '../core/artifacts.js';
import { ExitCode, TrtError } from '../core/errors.js';
import { secretRedactor } from '../core/redact.js';
import { useColor } from '../core/terminal.js';
import { loadTruth } from '../core/truth.js';
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
        const truth = loadTruth(resolve(flags.truth ?? join(root, 'product', 'truth.yaml'))).truth;
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
  const document = redact(flags.format === 'json' ? renderLogsJson(fetched) : flags.format === 'markdown' ? renderLogsMarkdown(fetched) : renderLogsText(fetched, { color }));
  if (flags.out) writeFileSync(flags.out, document);
  else process.stdout.write(document);
  process.stderr.write(`trt: ${redact(describeFetch(fetched))}\n`);
  if (flags.artifacts === false) return;
  const written = writeArtifacts(resolve(root, flags.artifacts), 'ops-logs', now.toISOString(), [
    { ext: 'jsonl', content: redact(renderLogsJsonl(fetched)) },
    { ext: 'md', content: redact(renderLogsMarkdown(fetched)) },
  ]);
  process.stderr.write(`trt: written: ${written.map((path) => relative(process.cwd(), path)).join(', ')}\n`);
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new TrtError('BAD_FLAG', `--limit ${JSON.stringify(text)} is not a whole number ≥ 1`, `the default is ${DEFAULT_LINE_LIMIT}`);
  return Number(text);
}
