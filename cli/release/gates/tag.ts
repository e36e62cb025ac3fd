/**
 * The tag gate: an annotated git tag named by `release.tag_format` on the commit the gates
 * checked, its message naming the release and its report. It refuses a working tree with
 * uncommitted changes (they were checked but would not be in the tag) and a name that exists.
 * The tag is pushed only with --push.
 */
import { git, gitFacts, isValidTagName } from '../git.js';
import { metric, type GateVerdict } from '../model.js';
import { nextTagName, tagFormatProblem } from '../tag-name.js';
import type { Gate } from './gate.js';

const DIRTY_SHOWN = 10;

export const tagGate: Gate = {
  name: 'tag',
  title: 'git tag',
  async plan({ settings, git: facts, now }) {
    const format = settings.tagFormat;
    const problems: string[] = [];
    let name: string | null = null;
    if (format === null) problems.push('release.tag_format is not set in truth.yaml (e.g. "stable-{yyyymmdd}-{n}")');
    else {
      const formatProblem = tagFormatProblem(format);
      if (formatProblem !== null) problems.push(formatProblem);
      else if (facts.problem === null) {
        name = nextTagName(format, now, facts.tags);
        if (!(await isValidTagName(settings.root, name))) problems.push(`release.tag_format "${format}" gives "${name}", which git does not accept as a tag name`);
        // With {n} the next name is never taken: only a format without it can collide.
        else if (facts.tags.includes(name)) problems.push(`the tag ${name} exists already: release.tag_format "${format}" has no {n} to count releases of a day`);
      }
    }
    if (facts.problem === null) {
      if (facts.dirty.length > 0) problems.push(dirtyProblem(facts.dirty));
      if (!facts.identity) problems.push('git has no user.name and user.email to write an annotated tag with: set them (git config user.name …; git config user.email …)');
      if (settings.push && (await git(settings.root, ['remote', 'get-url', 'origin'])).code !== 0) problems.push('--push needs a remote named origin');
    }
    const commit = facts.commit?.slice(0, 12) ?? 'HEAD';
    return {
      does: `git tag -a ${name ?? '<release.tag_format>'} ${commit}${settings.push ? `, then git push origin ${name ?? '<tag>'}` : ' (not pushed; --push pushes it)'}`,
      targets: ['no uncommitted changes', 'a tag name not taken'],
      problems,
    };
  },
  async run({ settings, state, redact, note }): Promise<GateVerdict> {
    const facts = await gitFacts(settings.root);
    const dirtyMetric = metric('uncommitted changes', facts.dirty.length, '= 0', facts.dirty.length > 0);
    if (facts.dirty.length > 0) return { status: 'fail', reason: dirtyProblem(facts.dirty), metrics: [dirtyMetric], evidence: { dirty: facts.dirty.slice(0, DIRTY_SHOWN * 5) } };
    const name = nextTagName(settings.tagFormat!, new Date(), facts.tags);
    const taken = facts.tags.includes(name);
    const nameMetric = metric('tag name', name, 'not an existing tag', taken);
    if (taken) return { status: 'fail', reason: `the tag ${name} exists already`, metrics: [dirtyMetric, nameMetric], evidence: { tag: name } };
    const message = [`trt release ${state.releaseId}`, '', `commit: ${state.commit}`, `gates passed: ${state.passed.join(', ') || 'none'}`, `report: ${state.reportFile}`].join('\n');
    note(`git tag -a ${name}`);
    const created = await git(settings.root, ['tag', '-a', name, state.commit, '-m', message]);
    if (created.code !== 0) {
      return { status: 'fail', reason: `git tag ${name} failed: ${redact(created.stderr.trim() || `exit code ${created.code}`)}`, metrics: [dirtyMetric, nameMetric], evidence: { tag: name, stderr: redact(created.stderr) } };
    }
    state.tag = name;
    const evidence: Record<string, unknown> = { tag: name, commit: state.commit, message, pushed: false };
    if (!settings.push) return { status: 'pass', reason: `tagged ${name} (not pushed; --push pushes it)`, metrics: [dirtyMetric, nameMetric], evidence };
    note(`git push origin ${name}`);
    const pushed = await git(settings.root, ['push', 'origin', `refs/tags/${name}`]);
    const pushMetric = metric('tag pushed', pushed.code === 0, 'true', pushed.code !== 0);
    if (pushed.code !== 0) {
      return { status: 'fail', reason: `tagged ${name}, but git push origin ${name} failed: ${redact(pushed.stderr.trim())}`, metrics: [dirtyMetric, nameMetric, pushMetric], evidence: { ...evidence, stderr: redact(pushed.stderr) } };
    }
    return { status: 'pass', reason: `tagged ${name} and pushed it to origin`, metrics: [dirtyMetric, nameMetric, pushMetric], evidence: { ...evidence, pushed: true } };
  },
};

function dirtyProblem(dirty: readonly string[]): string {
  const shown = dirty.slice(0, DIRTY_SHOWN).map((line) => line.trim()).join(', ');
  return `the working tree has ${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'} (${shown}${dirty.length > DIRTY_SHOWN ? ', …' : ''}): commit or stash them, so what is checked is what is tagged`;
}
