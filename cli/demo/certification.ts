/**
 * The demo's certification: what each stage (environment, verify, smoke, ops) found, and the
 * verdict. Pure functions from the result to text, markdown and JSON; the command prints and
 * writes them. A stage passes, fails (with the reason a newcomer can act on) or was not run
 * (because the environment it needed did not start); the certification passes only when every
 * stage passed.
 */
import { basename, isAbsolute, relative } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { markdownText } from '../core/markdown.js';
import type { CheckStatus, Priority } from '../ops/model.js';
import { formatDuration } from '../smoke/reporters/text.js';

export type StageStatus = 'pass' | 'fail' | 'not-run';

interface StageBase {
  status: StageStatus;
  /** One line: the key figures when it passed, what went wrong when it did not. */
  reason: string;
  durationMs: number;
  /** The reports the stage wrote (absolute paths). */
  reports: string[];
}

export interface EnvironmentStage extends StageBase {
  stage: 'environment';
  postgres: string | null;
  active: string | null;
  passive: string | null;
  emulators: { telegram: string; kie: string; render: string } | null;
}

export interface VerifyStage extends StageBase {
  stage: 'verify';
  errors: number;
  warnings: number;
  files: number;
  rules: number;
  /** The first error findings, for the summary of a failed run. */
  findings: { rule: string; file: string; line: number; column: number; message: string }[];
}

export interface SmokeStage extends StageBase {
  stage: 'smoke';
  scenarios: { id: string; title: string; status: 'pass' | 'fail' | 'skip'; reason: string; durationMs: number }[];
  summary: { passed: number; failed: number; skipped: number };
}

export interface OpsStage extends StageBase {
  stage: 'ops';
  logLines: number | null;
  dbChecks: Partial<Record<CheckStatus, number>> | null;
  /** Issues the detectors raised before the cut to five. */
  found: number;
  top: { id: string; priority: Priority; title: string; total: number; count: number; action: string }[];
  unavailable: { logs?: string; db?: string };
}

export type StageResult = EnvironmentStage | VerifyStage | SmokeStage | OpsStage;

export interface Certification {
  trtVersion: string;
  startedAt: string;
  durationMs: number;
  passed: boolean;
  stages: StageResult[];
}

export interface TextOptions {
  color: boolean;
  /** Report paths are shown relative to this folder (the current directory). */
  cwd: string;
}

export function certify(startedAt: string, durationMs: number, stages: StageResult[], trtVersion: string): Certification {
  return { trtVersion, startedAt, durationMs, passed: stages.every((stage) => stage.status === 'pass'), stages };
}

/** What the verdict line names: each failed stage with the first line of its reason, then the stages not run. */
export function failures(certification: Certification): string[] {
  const failed = certification.stages.filter((stage) => stage.status === 'fail').map((stage) => `${stage.stage} failed: ${stage.reason.split('\n')[0]}`);
  const notRun = certification.stages.filter((stage) => stage.status === 'not-run').map((stage) => stage.stage);
  return notRun.length === 0 ? failed : [...failed, `${notRun.join(' and ')} not run`];
}

export function renderText(certification: Certification, options: TextOptions): string {
  const paint = new Chalk({ level: options.color ? 1 : 0 });
  const lines = [paint.bold(`Certification — trt ${certification.trtVersion}, ${certification.startedAt}`), ''];
  const width = Math.max(...certification.stages.map((stage) => stage.stage.length));
  for (const stage of certification.stages) {
    lines.push(`  ${stage.stage.padEnd(width)}  ${statusWord(stage.status, paint)}  ${stage.reason} ${paint.dim(`(${formatDuration(stage.durationMs)})`)}`);
    lines.push(...detailLines(stage).map((line) => `  ${' '.repeat(width)}    ${line}`));
  }
  const reports = certification.stages.flatMap((stage) => stage.reports);
  if (reports.length > 0) lines.push('', 'Reports:', ...reports.map((path) => `  ${displayPath(path, options.cwd)}`));
  lines.push('');
  const failed = failures(certification);
  lines.push(
    failed.length === 0
      ? paint.green.bold(`✔ CERTIFIED: every stage passed in ${formatDuration(certification.durationMs)}`)
      : paint.red.bold(`✖ NOT CERTIFIED after ${formatDuration(certification.durationMs)}: ${failed.join('; ')}`),
  );
  return `${lines.join('\n')}\n`;
}

/** `certification.md`: the same, with the stage reports linked (they sit next to it). */
export function renderMarkdown(certification: Certification): string {
  const failed = failures(certification);
  const lines = [
    '# trt certification',
    '',
    `trt ${certification.trtVersion}, ${certification.startedAt}, ${formatDuration(certification.durationMs)} in all: embedded PostgreSQL, the Telegram, KIE and Render emulators and two bot instances on this machine, then \`trt verify\`, \`trt smoke\` (S0–S8) and \`trt ops snapshot\`.`,
    '',
    failed.length === 0 ? '**Verdict: CERTIFIED** — every stage passed.' : `**Verdict: NOT CERTIFIED** — ${failed.map((reason) => markdownText(reason)).join('; ')}.`,
    '',
    '| stage | result | figures | time |',
    '|---|---|---|---:|',
    ...certification.stages.map((stage) => `| ${stage.stage} | ${stage.status} | ${markdownText(stage.reason)} | ${formatDuration(stage.durationMs)} |`),
  ];
  for (const stage of certification.stages) {
    lines.push('', `## ${stage.stage}`, '', `${statusText(stage.status)}: ${markdownText(stage.reason)}`);
    lines.push(...markdownDetails(stage));
    if (stage.reports.length > 0) lines.push('', `Reports: ${stage.reports.map((path) => `[${basename(path)}](${encodeURI(basename(path))})`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderJson(certification: Certification): string {
  return `${JSON.stringify(certification, null, 2)}\n`;
}

/** Relative to the current directory when under it, else absolute: `../../tmp/x` helps nobody. */
export function displayPath(path: string, cwd: string): string {
  const fromCwd = relative(cwd, path);
  return fromCwd === '' || fromCwd.startsWith('..') || isAbsolute(fromCwd) ? path : fromCwd;
}

function detailLines(stage: StageResult): string[] {
  switch (stage.stage) {
    case 'environment':
      return [];
    case 'verify':
      return stage.findings.map((finding) => `${finding.file}:${finding.line}:${finding.column} ${finding.rule}: ${finding.message}`);
    case 'smoke':
      return stage.scenarios.map((scenario) => `${scenario.id} ${scenario.title.padEnd(20)} ${scenario.status.padEnd(4)} ${formatDuration(scenario.durationMs).padStart(7)}  ${scenario.reason}`);
    case 'ops':
      return stage.top.map((issue, index) => `${index + 1}. ${issue.priority} ${issue.id} (total ${issue.total}, seen ${issue.count}×): ${issue.title} — ${issue.action}`);
  }
}

function markdownDetails(stage: StageResult): string[] {
  switch (stage.stage) {
    case 'environment':
      return stage.emulators === null
        ? []
        : [
            '',
            `- PostgreSQL: \`${stage.postgres}\` (embedded, in a temporary folder)`,
            `- ACTIVE bot: ${stage.active}`,
            `- PASSIVE bot: ${stage.passive}`,
            `- emulators: Telegram ${stage.emulators.telegram}, KIE ${stage.emulators.kie}, Render ${stage.emulators.render}`,
          ];
    case 'verify':
      return stage.findings.length === 0
        ? []
        : ['', '| rule | where | message |', '|---|---|---|', ...stage.findings.map((finding) => `| ${finding.rule} | \`${finding.file}:${finding.line}:${finding.column}\` | ${markdownText(finding.message)} |`)];
    case 'smoke':
      return [
        '',
        '| scenario | result | time | reason |',
        '|---|---|---:|---|',
        ...stage.scenarios.map((scenario) => `| ${scenario.id} ${markdownText(scenario.title)} | ${scenario.status} | ${formatDuration(scenario.durationMs)} | ${markdownText(scenario.reason)} |`),
      ];
    case 'ops':
      return stage.top.length === 0
        ? []
        : [
            '',
            '| # | priority | issue | total | seen | action |',
            '|---:|---|---|---:|---:|---|',
            ...stage.top.map((issue, index) => `| ${index + 1} | ${issue.priority} | ${markdownText(`${issue.id}: ${issue.title}`)} | ${issue.total} | ${issue.count} | ${markdownText(issue.action)} |`),
          ];
  }
}

function statusWord(status: StageStatus, paint: ChalkInstance): string {
  switch (status) {
    case 'pass':
      return paint.green('pass   ');
    case 'fail':
      return paint.red('FAIL   ');
    case 'not-run':
      return paint.yellow('not run');
  }
}

function statusText(status: StageStatus): string {
  return status === 'pass' ? 'Passed' : status === 'fail' ? 'Failed' : 'Not run';
}

