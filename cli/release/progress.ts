/**
 * The live output of `trt release`: one line per gate as it ends (✓ pass, ✗ fail with the first
 * lines of its evidence, – skip), and on a terminal a "running" line that the gate's notes update
 * in place until its result replaces it. Off a terminal (CI logs, pipes) only whole lines are
 * written, so a log never holds half-lines or escape sequences.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { CLEAR_LINE, cutToWidth, oneLine } from '../core/terminal.js';
import { formatDuration } from '../smoke/reporters/text.js';
import type { GateResult, ReleaseReport, StepName } from './model.js';
import { summarize } from './report.js';

export interface ReleaseProgress {
  start(name: StepName, title: string): void;
  note(name: StepName, text: string): void;
  end(gate: GateResult): void;
  finish(report: ReleaseReport, written: readonly string[]): void;
}

const NAME_WIDTH = 7;
const EVIDENCE_LINES = 4;
const WIDTH = 160;

export function createReleaseProgress(stream: NodeJS.WritableStream, options: { color: boolean; tty: boolean }): ReleaseProgress {
  const paint: ChalkInstance = new Chalk({ level: options.color ? 1 : 0 });
  let running: { name: StepName; title: string } | null = null;
  const clear = () => (running !== null && options.tty ? CLEAR_LINE : '');
  return {
    start(name, title) {
      running = { name, title };
      if (options.tty) stream.write(`${paint.dim('…')} ${name.padEnd(NAME_WIDTH)} ${oneLine(title)}`);
    },
    note(name, text) {
      if (!options.tty || running?.name !== name) return;
      stream.write(`${CLEAR_LINE}${paint.dim('…')} ${name.padEnd(NAME_WIDTH)} ${cutToWidth(oneLine(text), WIDTH)}`);
    },
    end(gate) {
      const prefix = clear();
      running = null;
      stream.write(`${prefix}${gateLines(gate, paint).join('\n')}\n`);
    },
    finish(report, written) {
      const prefix = clear();
      running = null;
      const line = summarize(report);
      const painted = report.outcome === 'released' ? (report.clean ? paint.green.bold(line) : paint.yellow.bold(line)) : paint.red.bold(line);
      stream.write(`${prefix}\n${painted}\n${written.length > 0 ? `${paint.dim('report:')} ${written.join(', ')}\n` : ''}`);
    },
  };
}

function gateLines(gate: GateResult, paint: ChalkInstance): string[] {
  const name = gate.name.padEnd(NAME_WIDTH);
  const duration = paint.dim(formatDuration(gate.durationMs).padStart(8));
  const reason = cutToWidth(oneLine(gate.reason), WIDTH);
  switch (gate.status) {
    case 'pass':
      return [`${paint.green('✓')} ${name} ${duration}  ${reason}`];
    case 'skip':
      return [`${paint.yellow('–')} ${paint.dim(name)} ${duration}  ${paint.yellow(reason)}`];
    case 'fail':
      return [
        `${paint.red('✗')} ${paint.red.bold(name)} ${duration}  ${paint.red(reason)}`,
        ...gate.metrics.filter((item) => item.violated).map((item) => `    ${paint.dim(`${oneLine(item.name)}:`)} ${cutToWidth(JSON.stringify(item.measured), 60)} ${paint.dim(`(target ${oneLine(item.target)})`)}`),
        ...Object.entries(gate.evidence)
          .slice(0, EVIDENCE_LINES)
          .map(([key, value]) => `    ${paint.dim(`${oneLine(key)}:`)} ${cutToWidth(oneLine(JSON.stringify(value) ?? String(value)), WIDTH)}`),
      ];
  }
}

