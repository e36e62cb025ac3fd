/**
 * The test gate: `release.test_command` through the shell in the release root, with the
 * environment trt got. It passes on exit code 0; the tail of its output is kept as evidence,
 * because the end of a test run is where the failures are summed up.
 */
import { spawn } from 'node:child_process';
import { metric, type GateVerdict } from '../model.js';
import type { Gate } from './gate.js';

const TAIL_LINES = 40;
const TAIL_BYTES = 8 * 1024;

export const testGate: Gate = {
  name: 'test',
  title: 'tests (release.test_command)',
  async plan({ settings }) {
    return {
      does: settings.testCommand === null ? 'run release.test_command' : `run \`${settings.testCommand}\` through the shell in ${settings.root}`,
      targets: ['exit code = 0'],
      problems: settings.testCommand === null ? ['release.test_command is not set in truth.yaml: name the command that runs the tests (or --skip test)'] : [],
    };
  },
  async run({ settings, redact, note }): Promise<GateVerdict> {
    const command = settings.testCommand!;
    note(`running ${command}`);
    const ran = await runShell(command, settings.root, settings.env);
    const passed = ran.exitCode === 0;
    const ending = ran.signal === null ? `exit code ${ran.exitCode}` : `killed by ${ran.signal}`;
    return {
      status: passed ? 'pass' : 'fail',
      reason: passed ? `\`${command}\` exited 0` : `\`${command}\` ended with ${ending}`,
      metrics: [metric('test exit code', ran.exitCode, '= 0', !passed)],
      evidence: { command, exitCode: ran.exitCode, signal: ran.signal, outputBytes: ran.bytes, tail: redact(ran.tail) },
    };
  },
};

interface ShellRun {
  exitCode: number | null;
  signal: string | null;
  bytes: number;
  tail: string;
}

/** Keeps only the last {@link TAIL_BYTES} while the command runs: a test suite can print a lot. */
function runShell(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ShellRun> {
  return new Promise((resolve) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let kept = '';
    let bytes = 0;
    const keep = (chunk: Buffer) => {
      bytes += chunk.length;
      kept = (kept + chunk.toString('utf8')).slice(-TAIL_BYTES * 2);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => resolve({ exitCode: null, signal: null, bytes, tail: `cannot start the shell: ${error.message}` }));
    child.on('close', (code, signal) => resolve({ exitCode: code, signal, bytes, tail: tailOf(kept) }));
  });
}

function tailOf(text: string): string {
  return text.slice(-TAIL_BYTES).split('\n').slice(-TAIL_LINES).join('\n').trimEnd();
}
