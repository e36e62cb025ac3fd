import type { ScenarioResult, ScenarioStatus, SmokeReport } from '../scenario.js';
import { formatDuration, formatSummary } from './text.js';

/** Enough for status codes, latencies and a cut body; a bigger block is cut so the report stays readable. */
const EVIDENCE_LIMIT = 8 * 1024;

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
        `| ${result.id} | ${cell(result.title)} | ${STATUS_LABEL[result.status]} | ${formatDuration(result.durationMs)} | ${cell(result.reason)} |`,
    ),
    ...report.scenarios.flatMap(section),
  ];
  return `${out.join('\n')}\n`;
}

function section(result: ScenarioResult): string[] {
  return ['', `## ${result.id} ${cell(result.title)}: ${STATUS_LABEL[result.status]}`, '', cell(result.reason), '', ...evidenceBlock(result.evidence)];
}

function evidenceBlock(evidence: Record<string, unknown>): string[] {
  if (Object.keys(evidence).length === 0) return ['_No evidence recorded._'];
  const json = JSON.stringify(evidence, null, 2);
  let body = json;
  if (json.length > EVIDENCE_LIMIT) {
    // Cut at a line end so the part shown is whole lines of the JSON.
    const lineEnd = json.lastIndexOf('\n', EVIDENCE_LIMIT);
    const kept = json.slice(0, lineEnd > 0 ? lineEnd : EVIDENCE_LIMIT);
    body = `${kept}\n… cut: ${json.length - kept.length} more characters; the JSON report has the whole evidence`;
  }
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return [`${fence}json`, body, fence];
}

/**
 * A table cell or a one-paragraph line: `|` would end the cell, a line break the row, and `<`
 * could open raw HTML, so they are escaped; backslashes first, so an escape in the text stays text.
 */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/\r\n|\r|\n/g, '<br>');
}

/** A code span fenced by more backticks than the text holds, so a URL or time is shown as it is. */
function inlineCode(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const padding = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${flat}${padding}${fence}`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
}
