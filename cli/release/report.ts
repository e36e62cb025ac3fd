/**
 * The release report: `artifacts/release-<stamp>.json` (schemas/release-report.schema.json),
 * `artifacts/release-<stamp>.md` for people, and one line per release in
 * `artifacts/releases.jsonl`, the ledger `trt release status` reads. Renderers are pure; the
 * report arrives redacted.
 */
import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileStamp, writeArtifacts } from '../core/artifacts.js';
import { evidenceBlock, inlineCode, markdownText } from '../core/markdown.js';
import { formatDuration } from '../smoke/reporters/text.js';
import type { GateResult, GateStatus, ReleaseReport } from './model.js';

export const LEDGER_FILE = 'releases.jsonl';
const STATUS_LABEL: Record<GateStatus, string> = { pass: '✅ pass', fail: '❌ fail', skip: '⏭️ skip' };

/** Where a release's report files go, relative to the root (the tag's message names the JSON one). */
export function reportFiles(root: string, artifactsDir: string, startedAt: string): { json: string; md: string } {
  const base = join(artifactsDir, `release-${fileStamp(startedAt)}`);
  return { json: relative(root, `${base}.json`), md: relative(root, `${base}.md`) };
}

/** Writes the JSON and markdown reports and appends the ledger line; returns the paths written. */
export function writeReleaseReport(artifactsDir: string, report: ReleaseReport): string[] {
  const written = writeArtifacts(artifactsDir, 'release', report.startedAt, [
    { ext: 'json', content: renderReleaseJson(report) },
    { ext: 'md', content: renderReleaseMarkdown(report) },
  ]);
  const ledger = join(artifactsDir, LEDGER_FILE);
  appendFileSync(ledger, `${JSON.stringify(report)}\n`);
  return [...written, ledger];
}

export function renderReleaseJson(report: ReleaseReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** One line a person reads first: how it ended, where, and the tag. */
export function summarize(report: ReleaseReport): string {
  const took = formatDuration(Date.parse(report.finishedAt) - Date.parse(report.startedAt));
  const failed = report.gates.find((gate) => gate.status === 'fail');
  const skippedGates = report.gates.filter((gate) => gate.status === 'skip').map((gate) => gate.name);
  if (report.outcome === 'released') {
    const tag = report.tag === null ? 'no tag' : `tagged ${report.tag}`;
    return `released ${report.commit.slice(0, 12)} (${tag}) in ${took}: ${report.clean ? 'clean' : `not clean, skipped ${skippedGates.join(', ')}`}`;
  }
  return `${report.outcome} at ${failed?.name ?? 'an unknown gate'} after ${took}: ${failed?.reason ?? ''}; nothing after it ran`;
}

export function renderReleaseMarkdown(report: ReleaseReport): string {
  const out = [
    `# trt release ${report.id}: ${report.outcome}${report.clean ? ' (clean)' : report.outcome === 'released' ? ' (not clean)' : ''}`,
    '',
    `Commit ${inlineCode(report.commit)}, tag ${report.tag === null ? '_none_' : inlineCode(report.tag)}. Started ${inlineCode(report.startedAt)}, finished ${inlineCode(report.finishedAt)}.`,
    '',
    `**${markdownText(summarize(report))}**`,
    '',
    '| gate | status | duration | reason |',
    '|---|---|---|---|',
    ...report.gates.map((gate) => `| ${gate.name} | ${STATUS_LABEL[gate.status]} | ${formatDuration(gate.durationMs)} | ${markdownText(gate.reason)} |`),
    '',
    '## Analysis',
    '',
    '| gate | metric | measured | target | violated | at |',
    '|---|---|---|---|---|---|',
    ...report.gates.flatMap((gate) =>
      gate.metrics.map((item) => `| ${gate.name} | ${markdownText(item.name)} | ${markdownText(JSON.stringify(item.measured))} | ${markdownText(item.target)} | ${item.violated ? '**yes**' : 'no'} | ${inlineCode(item.at)} |`),
    ),
    ...report.gates.flatMap(section),
  ];
  return `${out.join('\n')}\n`;
}

function section(gate: GateResult): string[] {
  return ['', `## ${gate.name}: ${STATUS_LABEL[gate.status]}`, '', markdownText(gate.reason), '', ...evidenceBlock(gate.evidence)];
}

