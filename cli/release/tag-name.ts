/**
 * Tag names from `release.tag_format`: `{yyyymmdd}` is the UTC date, `{n}` the next number free
 * for that name (1 for the first release of the day). A format without `{n}` gives one name, which
 * a second release the same day finds taken.
 *
 * @example
 * ```ts
 * nextTagName('stable-{yyyymmdd}-{n}', new Date('2026-11-23T10:00:00Z'), ['stable-20261123-1']); // 'stable-20261123-2'
 * ```
 */

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['yyyymmdd', 'n']);

/** What is wrong with a format (an unknown placeholder, nothing to name), or null. */
export function tagFormatProblem(format: string): string | null {
  const unknown = [...format.matchAll(PLACEHOLDER)].map((match) => match[1]!).filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) return `release.tag_format "${format}" has unknown placeholder ${unknown.map((name) => `{${name}}`).join(', ')}: only {yyyymmdd} and {n} are known`;
  if (format.trim() === '') return 'release.tag_format is empty';
  return null;
}

export function nextTagName(format: string, date: Date, existing: readonly string[]): string {
  const dated = format.replaceAll('{yyyymmdd}', yyyymmdd(date));
  if (!dated.includes('{n}')) return dated;
  const pattern = new RegExp(`^${dated.split('{n}').map(escapeRegExp).join('(\\d+)')}$`);
  let highest = 0;
  for (const tag of existing) {
    const match = pattern.exec(tag);
    if (match) highest = Math.max(highest, ...match.slice(1).map(Number));
  }
  return dated.replaceAll('{n}', String(highest + 1));
}

function yyyymmdd(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
