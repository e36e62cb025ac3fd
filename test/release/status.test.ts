/**
 * Issue 7 check 4: `trt release status` judges release.definition_of_done from
 * artifacts/releases.jsonl — the trailing run of clean releases against
 * consecutive_clean_releases (5 in the fixture). The ledgers are written here line by line as
 * trt release writes them (each line validates against the report schema).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GateResult, ReleaseReport, StepName } from '../../cli/release/model.js';
import { runTrt } from '../cli/run.js';
import { makeRepo, releaseReportValidator, removeRepos } from './support.js';

afterAll(() => removeRepos());

const STEPS: StepName[] = ['verify', 'test', 'smoke', 'deploy', 'watch', 'tag'];
const BASE_MS = Date.parse('2026-11-20T09:00:00.000Z');

type Kind = 'clean' | 'failed-smoke' | 'skipped-watch';

/** The n-th release of a ledger (a day apart), as trt release records it. */
function release(kind: Kind, index: number): ReleaseReport {
  const startedAt = new Date(BASE_MS + index * 86_400_000).toISOString();
  const finishedAt = new Date(BASE_MS + index * 86_400_000 + 60_000).toISOString();
  const failedAt = kind === 'failed-smoke' ? STEPS.indexOf('smoke') : -1;
  const gates: GateResult[] = STEPS.map((name, position) => {
    const status = failedAt >= 0 && position > failedAt ? 'skip' : position === failedAt ? 'fail' : kind === 'skipped-watch' && name === 'watch' ? 'skip' : 'pass';
    const reason = status === 'pass' ? 'ok' : status === 'fail' ? 'S0: GET /health answered 500' : failedAt >= 0 ? 'not run: smoke failed before it' : 'skipped with --skip';
    return { name, status, startedAt, durationMs: 10, reason, metrics: status === 'skip' ? [] : [{ name: `${name} check`, measured: status === 'fail' ? 1 : 0, target: '= 0', violated: status === 'fail', at: startedAt }], evidence: {} };
  });
  return {
    id: `release-${startedAt.replace(/[:.]/g, '-')}`,
    startedAt,
    finishedAt,
    commit: 'a'.repeat(40),
    tag: failedAt >= 0 ? null : `stable-${startedAt.slice(0, 10).replaceAll('-', '')}-1`,
    outcome: failedAt >= 0 ? 'failed' : 'released',
    clean: kind === 'clean',
    gates,
  };
}

function repoWithLedger(kinds: readonly Kind[]): { repo: string; releases: ReleaseReport[] } {
  const repo = makeRepo();
  const releases = kinds.map(release);
  mkdirSync(join(repo, 'artifacts'));
  writeFileSync(join(repo, 'artifacts', 'releases.jsonl'), releases.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  return { repo, releases };
}

const clean = (count: number): Kind[] => Array.from({ length: count }, () => 'clean');

describe('trt release status', () => {
  it('the ledgers of these tests are what the report schema describes', () => {
    const validate = releaseReportValidator();
    for (const kind of ['clean', 'failed-smoke', 'skipped-watch'] as const) expect(validate(release(kind, 0)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('4 clean releases: not done (exit 1)', async () => {
    const { repo } = repoWithLedger(clean(4));
    const run = await runTrt(['release', 'status', '--root', repo]);
    expect(run.stdout).toBe('not done: 4 of 5 (every release so far was clean)\n');
    expect(run.code).toBe(1);
  });

  it('5 clean releases: done (exit 0)', async () => {
    const { repo } = repoWithLedger(clean(5));
    const run = await runTrt(['release', 'status', '--root', repo]);
    expect(run.stdout).toBe('done: 5 consecutive clean releases (needed 5)\n');
    expect(run.code).toBe(0);
  });

  it('clean, clean, failed, then 4 clean: not done, 4 since the failure, which is named with its gate', async () => {
    const { repo, releases } = repoWithLedger(['clean', 'clean', 'failed-smoke', ...clean(4)]);
    const run = await runTrt(['release', 'status', '--root', repo]);
    expect(run.stdout).toBe(`not done: 4 of 5 (the last failure: ${releases[2]!.id} at smoke)\n`);
    expect(run.code).toBe(1);

    const json = await runTrt(['release', 'status', '--root', repo, '--format', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      ledger: 'artifacts/releases.jsonl',
      done: false,
      needed: 5,
      consecutiveClean: 4,
      releases: 7,
      lastBreak: { id: releases[2]!.id, outcome: 'failed', gate: 'smoke', skipped: ['deploy', 'watch', 'tag'], at: releases[2]!.finishedAt },
    });
  });

  it('a release with a skipped step is released but not clean: it ends the run', async () => {
    const { repo, releases } = repoWithLedger([...clean(5), 'skipped-watch', 'clean']);
    const run = await runTrt(['release', 'status', '--root', repo]);
    expect(run.stdout).toBe(`not done: 1 of 5 (the last unclean release: ${releases[5]!.id}, skipped watch)\n`);
    expect(run.code).toBe(1);
  });

  it('needs as many as release.definition_of_done says', async () => {
    const repo = makeRepo((truth) => {
      truth.release!.definition_of_done = { consecutive_clean_releases: 2 };
    });
    mkdirSync(join(repo, 'artifacts'));
    writeFileSync(join(repo, 'artifacts', 'releases.jsonl'), `${JSON.stringify(release('failed-smoke', 0))}\n${JSON.stringify(release('clean', 1))}\n${JSON.stringify(release('clean', 2))}\n`);
    const run = await runTrt(['release', 'status', '--root', repo]);
    expect(run.stdout).toBe('done: 2 consecutive clean releases (needed 2)\n');
    expect(run.code).toBe(0);
  });

  it('a broken ledger line is a usage error naming the line (exit 2)', async () => {
    const { repo } = repoWithLedger(clean(2));
    writeFileSync(join(repo, 'artifacts', 'releases.jsonl'), `${JSON.stringify(release('clean', 0))}\n{"id":\n`);
    const run = await runTrt(['release', 'status', '--root', repo]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/releases\.jsonl:2 is not JSON/);
  });
});
