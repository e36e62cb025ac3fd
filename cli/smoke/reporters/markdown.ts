import { evidenceBlock, inlineCode, markdownText } from '../../core/markdown.js';
import type { ScenarioResult, ScenarioStatus, SmokeReport } from '../scenario.js';
import { formatDuration, formatSummary } from './text.js';

const STATUS_LABEL: Record<ScenarioStatus, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  skip: '⏭️ skip',
};

/**
 * `--format markdown`, the report kept in artifacts/ and pasted into release notes or a pull
 * request: a heading with the URLs and start time, the summary, one table row per scenario, then
 * each scenario's evidence as a JSON block. Evidence arrives already redacted.
 */
export function renderMarkdown(report: SmokeReport): string {
  const passive = report.passiveUrl === null ? '' : ` (passive ${inlineCode(report.passiveUrl)})`;
  const out = [
    `# trt smoke: ${inlineCode(report.url)}${passive}`,
    '',
    `Started ${inlineCode(report.startedAt)}.`,
    '',
    `**${formatSummary(report)}**`,
    '',
    '| id | scenario | status | duration | reason |',
    '|---|---|---|---|---|',
    ...report.scenarios.map(
      (result) =>
        `| ${result.id} | ${markdownText(result.title, '<br>')} | ${STATUS_LABEL[result.status]} | ${formatDuration(result.durationMs)} | ${markdownText(result.reason, '<br>')} |`,
    ),
    ...report.scenarios.flatMap(section),
  ];
  return `${out.join('\n')}\n`;
}

function section(result: ScenarioResult): string[] {
  return ['', `## ${result.id} ${markdownText(result.title, '<br>')}: ${STATUS_LABEL[result.status]}`, '', markdownText(result.reason, '<br>'), '', ...evidenceBlock(result.evidence)];
}

