/**
 * The certification's verdict and its documents: certified only when every stage passed; a
 * failed stage is named with its reason, stages that could not run are listed; certification.md
 * links the stage reports next to it.
 */
import { expect, it } from 'vitest';
import { certify, displayPath, failures, renderMarkdown, renderText, type StageResult } from '../../cli/demo/certification.js';

const environment: StageResult = {
  stage: 'environment',
  status: 'pass',
  reason: 'PostgreSQL 127.0.0.1:5432/trt_demo, ACTIVE http://127.0.0.1:1, PASSIVE http://127.0.0.1:2, 3 emulators',
  durationMs: 5200,
  reports: [],
  postgres: '127.0.0.1:5432/trt_demo',
  active: 'http://127.0.0.1:1',
  passive: 'http://127.0.0.1:2',
  emulators: { telegram: 'http://127.0.0.1:3', kie: 'http://127.0.0.1:4', render: 'http://127.0.0.1:5/v1' },
};
const verify: StageResult = { stage: 'verify', status: 'pass', reason: '0 errors, 0 warnings in 10 files, 13 rules', durationMs: 400, reports: ['/work/artifacts/verify-x.json'], errors: 0, warnings: 0, files: 10, rules: 13, findings: [] };
const smokeFailed: StageResult = {
  stage: 'smoke',
  status: 'fail',
  reason: '8 passed, 1 failed, 0 skipped — S5 failed: no photo within 30000 ms',
  durationMs: 3500,
  reports: ['/work/artifacts/smoke-2026-11-23T14-38-36-319Z.json', '/work/artifacts/smoke-2026-11-23T14-38-36-319Z.md'],
  scenarios: [{ id: 'S5', title: 'ACTIVE generation', status: 'fail', reason: 'no photo within 30000 ms', durationMs: 30000 }],
  summary: { passed: 8, failed: 1, skipped: 0 },
};
const ops: StageResult = { stage: 'ops', status: 'pass', reason: 'no problems in 72 log lines and 14 database checks', durationMs: 100, reports: [], logLines: 72, dbChecks: { ok: 14 }, found: 0, top: [], unavailable: {} };

it('certifies only when every stage passed', () => {
  const passed = certify('2026-11-23T14:38:36.319Z', 9200, [environment, verify, { ...smokeFailed, status: 'pass' }, ops], '0.1.0');
  expect(passed.passed).toBe(true);
  expect(failures(passed)).toEqual([]);
  expect(renderText(passed, { color: false, cwd: '/work' })).toContain('✔ CERTIFIED: every stage passed in 9.2 s');
  expect(renderMarkdown(passed)).toContain('**Verdict: CERTIFIED**');

  const failed = certify('2026-11-23T14:38:36.319Z', 9200, [environment, verify, smokeFailed, ops], '0.1.0');
  expect(failed.passed).toBe(false);
  expect(failures(failed)).toEqual(['smoke failed: 8 passed, 1 failed, 0 skipped — S5 failed: no photo within 30000 ms']);
  const text = renderText(failed, { color: false, cwd: '/work' });
  expect(text).toMatch(/^ {2}smoke\s+FAIL\s+8 passed, 1 failed/m);
  expect(text).toMatch(/^\s+S5 ACTIVE generation\s+fail\s+30\.0 s\s+no photo within 30000 ms$/m);
  expect(text).toContain('✖ NOT CERTIFIED after 9.2 s: smoke failed: 8 passed, 1 failed, 0 skipped — S5 failed: no photo within 30000 ms');
  expect(text).toContain('\n  artifacts/smoke-2026-11-23T14-38-36-319Z.json\n');
});

it('names the stages that could not run after the environment failed', () => {
  const broken: StageResult = { ...environment, status: 'fail', reason: 'the ACTIVE bot exited (code 2) before it was healthy; its last log lines:\nmissing ADMIN_SECRET', postgres: null, active: null, passive: null, emulators: null };
  const notRun = { status: 'not-run' as const, reason: 'the environment did not start', durationMs: 0, reports: [] };
  const certification = certify('2026-11-23T14:38:36.319Z', 4000, [broken, verify, { ...smokeFailed, ...notRun, scenarios: [] }, { ...ops, ...notRun }], '0.1.0');
  expect(failures(certification)).toEqual(['environment failed: the ACTIVE bot exited (code 2) before it was healthy; its last log lines:', 'smoke and ops not run']);
  expect(renderMarkdown(certification)).toMatch(/^\| smoke \| not-run \| the environment did not start \|/m);
});

it('links the stage reports in certification.md by their names next to it', () => {
  const markdown = renderMarkdown(certify('2026-11-23T14:38:36.319Z', 9200, [environment, verify, smokeFailed, ops], '0.1.0'));
  expect(markdown).toContain('Reports: [smoke-2026-11-23T14-38-36-319Z.json](smoke-2026-11-23T14-38-36-319Z.json), [smoke-2026-11-23T14-38-36-319Z.md](smoke-2026-11-23T14-38-36-319Z.md)');
  expect(markdown).toMatch(/^\| S5 ACTIVE generation \| fail \| 30\.0 s \| no photo within 30000 ms \|$/m);
});

it('shows a report path relative to the current directory only when it is under it', () => {
  expect(displayPath('/work/artifacts/a.json', '/work')).toBe('artifacts/a.json');
  expect(displayPath('/tmp/artifacts/a.json', '/work')).toBe('/tmp/artifacts/a.json');
});
