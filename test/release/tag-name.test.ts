import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../cli/release/settings.js';
import { nextTagName, tagFormatProblem } from '../../cli/release/tag-name.js';

const DAY = new Date('2026-11-23T23:59:59.999Z');

describe('nextTagName', () => {
  it.each([
    { format: 'stable-{yyyymmdd}-{n}', existing: [], expected: 'stable-20261123-1' },
    { format: 'stable-{yyyymmdd}-{n}', existing: ['stable-20261123-1', 'stable-20261123-3', 'stable-20261122-9'], expected: 'stable-20261123-4' },
    { format: 'stable-{yyyymmdd}-{n}', existing: ['stable-20261123-1x', 'xstable-20261123-7'], expected: 'stable-20261123-1' },
    { format: 'v1.{n}', existing: ['v1.9', 'v1.10'], expected: 'v1.11' },
    { format: 'release-{yyyymmdd}', existing: ['release-20261123'], expected: 'release-20261123' },
  ])('$format after $existing → $expected', ({ format, existing, expected }) => {
    expect(nextTagName(format, DAY, existing)).toBe(expected);
  });
});

describe('tagFormatProblem', () => {
  it('names unknown placeholders and accepts the known ones', () => {
    expect(tagFormatProblem('stable-{yyyymmdd}-{n}')).toBeNull();
    expect(tagFormatProblem('stable-{date}-{n}')).toMatch(/unknown placeholder \{date\}/);
    expect(tagFormatProblem('')).toMatch(/empty/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['2m', 120_000],
    ['3s', 3000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration('--watch', text)).toBe(ms);
  });

  it.each(['2', 'two minutes', '-1m', '0s'])('refuses %s where more than zero is needed', (text) => {
    expect(() => parseDuration('--deploy-timeout', text, 1)).toThrow(/--deploy-timeout .* is not a duration/);
  });
});
