import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { emitReport } from '../core/artifacts.js';
import { ExitCode } from '../core/errors.js';
import { secretRedactor } from '../core/redact.js';
import { useColor } from '../core/terminal.js';
import { loadTruth, truthPathFor } from '../core/truth.js';
import { renderJson } from '../smoke/reporters/json.js';
import { renderJunit } from '../smoke/reporters/junit.js';
import { renderMarkdown } from '../smoke/reporters/markdown.js';
import { createTextProgress, renderText, type TextProgress } from '../smoke/reporters/text.js';
import { planSmoke, runSmoke, type PlannedScenario } from '../smoke/runner.js';
import type { SmokeReport } from '../smoke/scenario.js';
import { resolveSmokeSettings, type SmokeFlags, type SmokeSettings } from '../smoke/settings.js';

type Format = 'text' | 'json' | 'junit' | 'markdown';

interface Flags extends SmokeFlags {
  root: string;
  truth?: string;
  format: Format;
  out?: string;
  artifacts: string | false;
  dryRun?: boolean;
}

export function registerSmoke(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('smoke')
    .description('prove the live service meets its contract: scenarios S0–S8 against --url')
    .requiredOption('--url <url>', 'the service to check (the ACTIVE instance)')
    .option('--passive-url <url>', 'the standby (PASSIVE) instance, for S4')
    .option('--scenario <ids...>', 'run only these scenarios, e.g. S0,S3')
    .option('--require <ids...>', 'these scenarios must run: a skip becomes a failure')
    .option('--allow-mutations', 'let S5 generate for the smoke chat (it grants the price first)')
    .option('--spawn <command>', 'for S8: start this command (it gets PORT), time its cold start, stop it')
    .option('--root <dir>', 'repository root', '.')
    .option('--truth <file>', 'truth file (default: <root>/product/truth.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'junit', 'markdown']).default('text'))
    .option('--out <file>', 'write the report in --format to this file instead of stdout')
    .option('--artifacts <dir>', 'where the json, markdown and junit reports are written', 'artifacts')
    .option('--no-artifacts', 'write no report files')
    .option('--dry-run', 'list what each scenario would send, and send nothing')
    .action((flags: Flags) =>
      run(async () => {
        const root = resolve(flags.root);
        const truth = loadTruth(truthPathFor(root, flags.truth)).truth;
        const settings = resolveSmokeSettings(truth, flags, root);
        if (flags.dryRun) {
          const plan = planSmoke(settings);
          process.stdout.write(flags.format === 'json' ? `${JSON.stringify({ url: settings.url, passiveUrl: settings.passiveUrl, plan }, null, 2)}\n` : renderPlan(settings, plan));
          return ExitCode.ok;
        }
        const report = await runWithProgress(settings, flags);
        emitReport({
          root,
          name: 'smoke',
          isoTime: report.startedAt,
          render: {
            json: () => renderJson(report),
            junit: () => renderJunit(report),
            markdown: () => renderMarkdown(report),
            text: () => renderText(report, { color: false }),
          },
          format: flags.format,
          out: flags.out,
          // The live progress printer has shown the text report already.
          stdout: flags.format !== 'text',
          artifacts: flags.artifacts,
          artifactFiles: [
            { ext: 'json', format: 'json' },
            { ext: 'md', format: 'markdown' },
            { ext: 'junit.xml', format: 'junit' },
          ],
        });
        return report.summary.failed > 0 ? ExitCode.findings : ExitCode.ok;
      }),
    );
}

/**
 * Live progress goes to stdout for `--format text`, else to stderr when a person watches it, so
 * a json or junit document on stdout stays exactly one document. Ctrl-C ends the run through
 * process.exit, whose exit hook stops a spawned service.
 */
async function runWithProgress(settings: SmokeSettings, flags: Flags): Promise<SmokeReport> {
  const stream = flags.format === 'text' && !flags.out ? process.stdout : process.stderr.isTTY ? process.stderr : null;
  const progress: TextProgress | null = stream ? createTextProgress(stream, { color: useColor(stream), tty: stream.isTTY === true }) : null;
  const interrupt = () => process.exit(130);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const report = await runSmoke(settings, {
      onStart: (scenario) => progress?.start(scenario.id, scenario.title),
      onEnd: (result) => progress?.end(result),
    });
    progress?.finish(report);
    return report;
  } finally {
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
  }
}

function renderPlan(settings: SmokeSettings, plan: PlannedScenario[]): string {
  const redact = secretRedactor(settings.secretValues);
  const lines = [`trt smoke --dry-run: nothing is sent. Against ${settings.url}${settings.passiveUrl ? ` and ${settings.passiveUrl}` : ''}:`, ''];
  let budgeted = 0;
  for (const scenario of plan) {
    lines.push(`${scenario.id} ${scenario.title}: ${scenario.runs ? 'would run' : `would skip — ${scenario.unmet.join('; ')}`}`);
    if (!scenario.runs) continue;
    for (const request of scenario.requests) {
      if (request.target === 'url' || request.target === 'passive-url') budgeted += request.times;
      lines.push(`    ${request.method} ${request.target === 'url' ? '' : `[${request.target}] `}${request.path} ×${request.times} — ${request.note}`);
    }
  }
  lines.push('', `at most ${budgeted} requests to the service (budget ${settings.maxRequests}: smoke.max_requests); synthetic updates come from chat ${settings.chatId ?? '(smoke.chat_id unset)'} with update_id ≥ 10^12`, '');
  return redact(lines.join('\n'));
}
