/**
 * The git facts a release depends on, read without changing anything: the commit the gates
 * check, uncommitted changes, whether git can sign an annotated tag with a name, and the tags that
 * exist. Git runs as a child process in the release root; nothing here writes.
 */
import { execFile } from 'node:child_process';

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitFacts {
  /** Why the root is not usable as a git repository, or null. */
  problem: string | null;
  /** HEAD's full SHA. */
  commit: string | null;
  /** `git status --porcelain` lines: changes a tag of HEAD would not contain. */
  dirty: string[];
  /** False when git has no user.name/user.email to write an annotated tag with. */
  identity: boolean;
  tags: string[];
}

/** Runs `git args…` in `root`; never throws for a non-zero exit (the caller reads `code`). */
export function git(root: string, args: readonly string[]): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: root, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`cannot run git: ${error.message}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

export async function gitFacts(root: string): Promise<GitFacts> {
  const empty: GitFacts = { problem: null, commit: null, dirty: [], identity: false, tags: [] };
  let inside: GitRun;
  try {
    inside = await git(root, ['rev-parse', '--is-inside-work-tree']);
  } catch (error) {
    return { ...empty, problem: `${error instanceof Error ? error.message : String(error)}: install git` };
  }
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') return { ...empty, problem: `${root} is not inside a git work tree (git init, commit, then release)` };
  const head = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.code !== 0) return { ...empty, problem: 'the repository has no commit yet: commit what you release' };
  const [status, identity, tags] = await Promise.all([git(root, ['status', '--porcelain']), git(root, ['var', 'GIT_COMMITTER_IDENT']), tagList(root)]);
  return {
    problem: null,
    commit: head.stdout.trim(),
    dirty: status.stdout.split('\n').filter((line) => line.trim() !== ''),
    identity: identity.code === 0,
    tags,
  };
}

async function tagList(root: string): Promise<string[]> {
  const run = await git(root, ['tag', '--list']);
  return run.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** True when git accepts `name` as a tag name. */
export async function isValidTagName(root: string, name: string): Promise<boolean> {
  return (await git(root, ['check-ref-format', `refs/tags/${name}`])).code === 0;
}
